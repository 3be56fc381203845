"""dlt, as this project uses it: extraction (resources, HTTP), loading bronze into destinations, adapters.

dlt picks its JSON library when first imported. orjson, its default, refuses integers beyond 64 bits,
which bronze keeps exactly; simplejson writes them as they are. `pipeline.run` is never on the
extraction hot path (resources are iterated directly), so only loads pay for the slower library.
dlt's anonymous telemetry is off unless the environment turns it on.
"""

import os

os.environ.setdefault("DLT_USE_JSON", "simplejson")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
