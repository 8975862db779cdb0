"""`/schema`: the OpenAPI document as JSON (and YAML) and a short page of our own that lists it.

Litestar's default documentation UIs (ReDoc, Swagger, Elements, RapiDoc) load their scripts, styles
and fonts from third-party hosts, unpinned, with inline script: on the dashboard's origin that is
code we do not control, and the strict Content-Security-Policy refuses it anyway. The page here is
plain server-rendered HTML (no script), styled by the portal's own stylesheet; any OpenAPI viewer
or client generator reads `/schema/openapi.json`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin

METHODS = ("get", "head", "post", "put", "patch", "delete")


class SchemaIndexPlugin(OpenAPIRenderPlugin):
    """`/schema` itself: the API's title, links to the document, and its operations in a table."""

    def __init__(self) -> None:
        super().__init__(path="/", media_type=MediaType.HTML)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return render_index(openapi_schema).encode()


def render_index(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    title = escape(f"{info.get('title', 'API')} {info.get('version', '')}".strip())
    rows = "".join(
        f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
        f"<td>{escape(str(op.get('summary', '')))}</td></tr>"
        for path, item in sorted(schema.get("paths", {}).items())
        for method, op in item.items()
        if method in METHODS and isinstance(op, dict)
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/portal.css"></head>'
        f"<body><main><h1>{title}</h1>"
        '<p>The OpenAPI 3.1 document: <a href="/schema/openapi.json">/schema/openapi.json</a> '
        '(<a href="/schema/openapi.yaml">YAML</a>). Open it in any OpenAPI viewer or client generator; '
        'the dashboard is at <a href="/">/</a>.</p>'
        f"<table><thead><tr><th>method</th><th>path</th><th>summary</th></tr></thead><tbody>{rows}</tbody></table>"
        "</main></body></html>\n"
    )


def openapi_config(title: str) -> OpenAPIConfig:
    """The app's OpenAPI config: the document at `/schema/openapi.json`, our index page at `/schema`."""
    return OpenAPIConfig(
        title=title,
        version="1.0.0",
        path="/schema",
        render_plugins=[
            SchemaIndexPlugin(),
            JsonRenderPlugin(),
            YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
        ],
    )
