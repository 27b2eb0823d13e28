# Edit me while web is in dev mode (Sync strategy): the change is live after the restart the
# onChange rule for *.py triggers, in well under a second.
def greeting() -> str:
    return "Hello from web, version 1"
