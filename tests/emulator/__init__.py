"""A local Telegram Bot API server for tests, the terminal chat and benchmarks.

Telegram cannot be reached from here, so the bot talks real HTTP to this emulator instead.
It follows the Bot API reference (https://core.telegram.org/bots/api): the same routes,
envelopes, objects, error codes and descriptions, so a bot that works here works against
the real service or any independent implementation. It is test code: it lives under
``tests/`` and is not in the installed package.

Where things are:

- ``server.py``: the HTTP server and routing; :class:`BotApiEmulator`, what tests hold.
- ``protocol.py``: parameters in, the ``{"ok": ...}`` envelope out, the method registry.
- ``messages.py`` and ``keyboards.py``: sending, editing and deleting messages, their
  keyboards, and answers to button presses. ``text.py``: message text and entities.
- ``media.py`` and ``files.py``: photos, animations and documents, and the files behind them.
- ``updates.py`` and ``webhooks.py``: the pending updates, getUpdates and webhook delivery.
- ``profile.py``: getMe, commands, names and descriptions, getChat.
- ``chats.py`` and ``state.py``: the chats and messages, and the world both sides act on.
- ``userside.py``: the people, who send, press and read like a person in a Telegram app.
- ``faults.py``: injected faults (429, 403, 5xx, delays, dropped connections), Telegram's
  flood limits, and the counters ``stats()`` reports.
- ``control.py``: the ``/_emu/`` HTTP control API; ``__main__.py``: the emulator as a process.
- ``chat.py``: the terminal chat (``make chat``).

Python use::

    from tests.emulator.server import BotApiEmulator

    emu = BotApiEmulator(token="123:ABC", bot_username="stretch_test_bot")
    base_url = await emu.start()              # http://127.0.0.1:PORT/bot
    bot = telegram.Bot("123:ABC", base_url=emu.base_url, base_file_url=emu.base_file_url)
    ann = emu.user(1001, first_name="Ann")
    await ann.send("/start")
    reply = await ann.next_message()
    emu.faults.too_many_requests(retry_after=3, method="sendMessage", times=1)
    emu.flood.enable()                        # Telegram's 30/s overall, ~1/s per chat
    print(emu.stats()["errors"])              # {"429": 1}
    await emu.stop()

Bot API routes: ``GET|POST /bot{token}/{method}`` (method names case-insensitive; JSON,
urlencoded and multipart bodies plus query parameters) and ``GET /file/bot{token}/{file_path}``.

As on Telegram, the bot cannot write first to someone who never wrote to it (403 "bot can't
initiate conversation with a user"); ``emu.user(id, started=True)`` is a person who already did.
A request refused by a fault rule or a flood limit never acts, so retrying it is safe.

Divergences from the real service, on purpose: webhooks may be plain ``http://`` on any port
(tests run locally), all sizes of a sent photo share the uploaded bytes, and the Markdown
parse modes keep the text literally (the bot uses HTML, which is parsed in full).

HTTP control API (for other processes; JSON in, ``{"ok": true, "result": ...}`` out)::

    GET    /_emu/stats                      counters: calls per method, errors per status code
    POST   /_emu/reset        {"seed": 1}   forget chats, updates, files, faults, counters
    GET    /_emu/faults                     active fault rules
    POST   /_emu/faults       {"kind": "429"|"403"|"500"|"502"|"delay"|"drop",
                               "method": "sendMessage", "chat_id": 5, "times": 2,
                               "probability": 0.1, "retry_after": 3, "seconds": 1.5}
    DELETE /_emu/faults                     remove all rules
    DELETE /_emu/faults/{rule_id}           remove one rule
    GET    /_emu/flood                      flood-limit settings
    POST   /_emu/flood        {"enabled": true, "global_per_second": 30, "chat_burst": 5,
                               "chat_per_second": 1, "group_per_minute": 20,
                               "overall_counting": "bucket"|"window"}
    POST   /_emu/users/{user_id}/send   {"text": "/start", "first_name": "Ann"}
                                        or {"kind": "sticker"|"photo"|"voice"|"location"|"contact"}
    POST   /_emu/users/{user_id}/press  {"message_id": 7, "text": "Yes"} or {"callback_data": ...}
    POST   /_emu/users/{user_id}/edit   {"message_id": 3, "text": "new text"}
    POST   /_emu/users/{user_id}/block  and  /unblock
    GET    /_emu/chats/{chat_id}/messages?after=ID&timeout=S&sender=bot|all
                                        messages newer than ID; waits up to S seconds for one
    GET    /_emu/chats/{chat_id}/callback_answers
    GET    /_emu/files/{file_id}            the raw bytes of a file

Standalone: ``python -m tests.emulator --port 8081 --token 123:ABC``.
"""
