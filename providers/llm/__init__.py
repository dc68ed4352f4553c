"""Hosted language models behind one small interface (``base.py``): prompt writing."""
