"""Reading Workfront: search (paged, optionally in parallel), count, get, named queries,
reports and metadata, as Workfront's own SDK offers them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..exceptions import WorkfrontAPIError
from .core import MAX_PAGE_SIZE, ClientCore

__all__ = ["ReadOperations", "fields_param"]

#: Workfront caps a query's results at 50,000 objects.
MAX_RESULTS = 50_000


def fields_param(fields: str | Sequence[str] | None) -> dict[str, str]:
    """``{"fields": "a,b"}`` for a ``fields`` argument, or nothing."""
    if not fields:
        return {}
    return {"fields": fields if isinstance(fields, str) else ",".join(fields)}


def _rows(data: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise WorkfrontAPIError(f"Workfront's {what} did not return a list.")
    return data


class ReadOperations(ClientCore):
    """Searches and reads; every call goes through :meth:`ClientCore.request`."""

    def iter_search(
        self,
        objcode: str,
        *,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        parallel: bool = False,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, fetched lazily page by page (``$$FIRST``/``$$LIMIT``).

        Without an explicit sort Workfront's pages can repeat or skip rows, so rows are sorted
        by ID unless a ``*_Sort`` filter says otherwise. With ``parallel``, the rows are counted
        first and the pages fetched concurrently, within ``MAX_CONCURRENT_REQUESTS``; every row
        is still yielded once, in order.
        """
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        params = {**filters, **fields_param(fields)}
        if not any(key.endswith("_Sort") for key in params):
            params["ID_Sort"] = "asc"
        if parallel:
            yield from self._parallel_pages(objcode, params, limit, page_size)
            return
        first = 0
        while limit is None or first < limit:
            size = page_size if limit is None else min(page_size, limit - first)
            rows = _rows(self._page(objcode, params, first, size), "search")
            yield from rows
            if len(rows) < size:
                return
            first += len(rows)

    def _page(self, objcode: str, params: dict[str, Any], first: int, size: int) -> Any:
        return self.get(f"{objcode}/search", **params, **{"$$FIRST": first, "$$LIMIT": size})

    def _parallel_pages(
        self, objcode: str, params: dict[str, Any], limit: int | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        filters = {key: value for key, value in params.items() if key != "fields"}
        total = min(self.count(objcode, **filters), MAX_RESULTS)
        if limit is not None:
            total = min(total, limit)
        starts = range(0, total, page_size)
        workers = max(1, min(self.provider.instance.max_concurrent_requests, len(starts)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workfront-page") as pool:
            pages: list[Future[Any]] = [
                pool.submit(self._page, objcode, params, first, min(page_size, total - first))
                for first in starts
            ]
            # In order: page n is yielded once pages 0..n-1 were, whatever finished first.
            for page in pages:
                yield from _rows(page.result(), "search")

    def search(
        self,
        objcode: str,
        *,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
        parallel: bool = False,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Every matching row (or the first ``limit``), as a list."""
        rows = self.iter_search(objcode, fields=fields, limit=limit, parallel=parallel, **filters)
        return list(rows)

    def count(self, objcode: str, **filters: Any) -> int:
        """How many objects match."""
        data = self.get(f"{objcode}/count", **filters)
        try:
            return int(data["count"])
        except (KeyError, TypeError, ValueError):
            raise WorkfrontAPIError("Workfront's count did not return a number.") from None

    def get_many(
        self, objcode: str, ids: Sequence[str], *, fields: str | Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The objects with these IDs, in one call (``/<obj>?ID=a,b,c``; long lists are POSTed)."""
        if not ids:
            return []
        data = self.get(objcode, ID=",".join(ids), **fields_param(fields))
        # One ID may come back as the object itself rather than a list of one.
        return [data] if isinstance(data, dict) else _rows(data, "get")

    def named_query(self, objcode: str, query: str, **filters: Any) -> list[dict[str, Any]]:
        """A named query (``WORK/myWork``…): ``/<obj>/<query>`` with the filters."""
        return _rows(self.get(f"{objcode}/{query}", **filters), f"{query} query")

    def report(self, objcode: str, **query: Any) -> dict[str, Any]:
        """A report: ``<field>_GroupBy=true``, ``<field>_AggFunc=sum``, ``$$ROLLUP=true``…"""
        data = self.get(f"{objcode}/report", **query)
        if not isinstance(data, dict):
            raise WorkfrontAPIError("Workfront's report did not return an object.")
        return data

    def metadata(self, objcode: str | None = None) -> dict[str, Any]:
        """What Workfront knows of one object type (fields, references, actions), or of all."""
        data = self.get(f"{objcode}/metadata" if objcode else "metadata")
        if not isinstance(data, dict):
            raise WorkfrontAPIError("Workfront's metadata did not return an object.")
        return data
