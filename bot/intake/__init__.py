"""Reading what users send: commands and options, edit sources, identities, the questions the
bot asks, and admission of a request."""
