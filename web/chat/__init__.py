"""The patient chat page: the hospital's trial page with a chat widget that talks
to the Rasa server over its socket.io channel (rasa_extensions/socketio_channel.py).

`python -m web.chat` serves it (app.py). settings.py and session_tokens.py use the
standard library and PyJWT only, because the Rasa server imports them too.
"""
