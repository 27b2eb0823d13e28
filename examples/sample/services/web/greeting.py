# Edit me while web is in dev mode (Sync strategy): the file is copied into the running pods and
# the onChange rule for *.py restarts the server, so the new text is live about a second later.
def greeting() -> str:
    return "Hello from web, version 1"
