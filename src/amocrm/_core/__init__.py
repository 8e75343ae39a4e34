"""The I/O-free core shared by every transport: no sockets, no threads, no sleeping.

- :mod:`~amocrm._core.ops`: the operation descriptors the generated resources are made of.
- :mod:`~amocrm._core.params`: argument checks and request building (path, query, headers, body).
- :mod:`~amocrm._core.response`: decoding answers into the operation's type; status -> typed error.
- :mod:`~amocrm._core.retry`: the one retry decision (status, transport failure, time budget).
- :mod:`~amocrm._core.pipeline`: one request as a step machine (auth, throttle, send, refresh, retry).
- :mod:`~amocrm._core.paging`: where the next page is and when iteration ends.
- :mod:`~amocrm._core.save`: how a batch save is planned into chunks and what became of every object.
- :mod:`~amocrm._core.profiles`: what differs between API versions (write style, error format, auth).
- :mod:`~amocrm._core.write`: conversions the generated write functions use.

The synchronous shell in :mod:`amocrm._sync` drives these with urllib3 and threads.
"""
