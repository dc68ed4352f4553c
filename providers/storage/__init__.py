"""Image stores: where results are kept and served from by signed, expiring links."""
