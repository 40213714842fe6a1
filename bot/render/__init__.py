"""Turn a person's progress into files the bot sends: a PNG chart and a PDF record.

Plain data in (:mod:`bot.render.model`), bytes out; no database, no Telegram. The heavy
drawing libraries load on first use, so importing this package stays cheap.
"""
