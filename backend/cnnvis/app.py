"""The FastAPI application: API routes, health, docs and the static page."""

import ctypes
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import plotly
import torch
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from cnnvis import __version__
from cnnvis.api.budget import NonzeroBudget
from cnnvis.api.errors import install_error_handlers
from cnnvis.api.flow_worker import FlowWorker
from cnnvis.api.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    SlowRequestMiddleware,
)
from cnnvis.api.routes import (
    conv_matrix,
    gradients,
    layers,
    limits,
    models,
    predict,
    samples,
)
from cnnvis.api.schemas import Health
from cnnvis.config import Settings, get_settings
from cnnvis.data import load_default_split
from cnnvis.nets.registry import load_all

logger = logging.getLogger(__name__)

FALLBACK_PATH = "/api/{rest:path}"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _mount_docs(app: FastAPI, settings: Settings) -> None:
    """Serve Swagger UI from the local swagger-ui-dist copy, not a CDN."""
    swagger_dir = settings.swagger_ui_dir
    if swagger_dir.is_dir():
        app.mount(
            "/vendor/swagger-ui", StaticFiles(directory=swagger_dir), name="swagger-ui"
        )

    @app.get("/docs", include_in_schema=False)
    def read_docs() -> HTMLResponse:
        if not (swagger_dir / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(
                "<p>API docs need the swagger-ui-dist files, which are missing from "
                f"{swagger_dir}. Run <code>npm ci</code> in the repository root; "
                'the raw schema is at <a href="/openapi.json">/openapi.json</a>.</p>',
                status_code=503,
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="cnnvis API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png",
        )


def _add_api_fallback(app: FastAPI) -> None:
    """Return 404 or 405 for unknown /api paths instead of the static page's 404."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]

    @app.api_route(FALLBACK_PATH, methods=methods, include_in_schema=False)
    def reject_unknown_api_route(request: Request) -> None:
        path = request.url.path
        allowed = [
            method
            for method in methods
            if any(
                route.matches({**request.scope, "method": method})[0] == Match.FULL
                for route in app.router.routes
                if getattr(route, "path", None) != FALLBACK_PATH
                and not isinstance(route, Mount)
            )
        ]
        if allowed:
            raise StarletteHTTPException(
                405,
                f"method {request.method} is not allowed on {path}; use "
                f"{', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        raise StarletteHTTPException(
            404, f"no API route {path}; the routes are listed at /docs"
        )


def configure_logging() -> None:
    """Send the app's INFO logs to stderr unless logging is already configured.

    Each uvicorn worker process builds its own app, so this runs per process.
    """
    package_logger = logging.getLogger("cnnvis")
    if package_logger.level == logging.NOTSET:
        package_logger.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not package_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        package_logger.addHandler(handler)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas, so memory does not grow with the thread pool.

    glibc gives each thread that allocates an arena of its own (up to 8 per
    core), and torch's per-request buffers then fragment one arena per thread.
    Same as MALLOC_ARENA_MAX=2; does nothing where glibc is absent.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_arena_max = -8  # from glibc's malloc.h
    libc.mallopt(m_arena_max, arenas)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the models and digits load when it starts (lifespan)."""
    settings = settings or get_settings()
    configure_logging()
    limit_malloc_arenas()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        torch.set_num_threads(settings.torch_threads)
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.request_threads
        app.state.models = load_all(settings.models_dir)
        # The held-out digits serve /samples; the experiment's worker process
        # loads the training digits itself.
        _, app.state.samples = load_default_split(settings.data_dir)
        app.state.flow_worker = FlowWorker(settings.data_dir, settings.torch_threads)
        app.state.conv_budget = NonzeroBudget(
            settings.conv_matrix_budget, settings.conv_matrix_wait_s
        )
        app.state.ready = True
        logger.info(
            "ready models=%s samples=%d torch_threads=%d request_threads=%d",
            ",".join(app.state.models),
            len(app.state.samples),
            settings.torch_threads,
            settings.request_threads,
        )
        yield
        app.state.ready = False
        app.state.flow_worker.shutdown()

    app = FastAPI(
        title="cnnvis",
        version=__version__,
        description="Trained digit networks and views of how they compute.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ready = False
    install_error_handlers(app)
    for router in (
        models.router,
        predict.router,
        samples.router,
        layers.router,
        conv_matrix.router,
        gradients.router,
        limits.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["health"], responses={503: {"model": Health}})
    def read_health() -> JSONResponse:
        """Report whether the models are loaded and requests can be served."""
        if not app.state.ready:
            return JSONResponse({"status": "starting", "models": []}, status_code=503)
        return JSONResponse({"status": "ok", "models": list(app.state.models)})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def read_plotly() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    _add_api_fallback(app)
    _mount_docs(app, settings)
    app.mount(
        "/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend"
    )

    # The last middleware added runs first. The security headers go on every
    # response, the body limit's 413 and CORS preflights included.
    app.add_middleware(SlowRequestMiddleware, threshold_ms=settings.slow_request_ms)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
