"""The memtables command line and interactive shell."""

# the dot-commands register themselves when their module is first imported: do it here, once,
# so a Session can run them however the package was entered
from . import commands  # noqa: F401
