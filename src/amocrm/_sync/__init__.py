"""The synchronous shell around :mod:`amocrm._core`: urllib3, threads for prefetch and concurrent saves.

- :mod:`~amocrm._sync.transport`: the urllib3 pool (bytes on a socket, bounded in time and size).
- :mod:`~amocrm._sync.resource`: the base of every generated resource (calls, lists, saves).
- :mod:`~amocrm._sync.pages`: the page classes, one per paging style, with prefetch.
- :mod:`~amocrm._sync.namespace`: ``client.v2`` / ``client.v4``.
"""
