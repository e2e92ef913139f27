"""Settings: the visitor's own OpenRouter key and model."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

import catalog as model_catalog
import session_store
from chat import failures
from config import CURATED_MODELS
from openrouter import KeyInfo, ModelInfo, OpenRouterError
from rendering import context_label, model_facts
from security import key_test_limits, rate_limited
from views import error_body, local_path, wants_json

bp = Blueprint("settings", __name__, url_prefix="/settings")
# "128k": the model menu's word for a context window (templates/settings/_model.html).
bp.add_app_template_filter(context_label)
bp.add_app_template_global(model_facts, "describe_model")

KEY_PATTERN = re.compile(r"[\x21-\x7e]{8,256}")  # printable ASCII, no spaces


def curated_choices() -> list[tuple[str, str]]:
    """List the hand-picked models, used when the catalog cannot be fetched."""
    default = current_app.config["DEFAULT_MODEL"]
    choices = list(CURATED_MODELS)
    if default not in {model for model, _ in choices}:
        choices.insert(0, (default, f"{default} (server default)"))
    return choices


def allowed_models(catalog: model_catalog.Catalog) -> set[str]:
    """Return the model ids a visitor may choose."""
    if catalog:
        return {model.id for model in catalog.models}
    return {model for model, _ in curated_choices()}


def filter_models(models: list[ModelInfo], query: str, free_only: bool) -> list[ModelInfo]:
    """Keep the models whose id or name holds every word of the query."""
    words = query.lower().split()
    kept = [
        model
        for model in models
        if (not free_only or model.is_free)
        and all(word in f"{model.id} {model.name}".lower() for word in words)
    ]
    return sorted(kept, key=lambda model: (not model.is_free, model.name.lower()))


def _render(errors: dict[str, str] | None = None, status: int = 200):
    own_key = session_store.saved_api_key()
    catalog = model_catalog.get_catalog()
    chosen = session_store.chosen_model()
    model, model_notice = model_catalog.resolve_model(chosen, catalog)
    query = request.args.get("q", "").strip()[:100]
    free_only = request.args.get("free") == "1"
    shown = filter_models(catalog.models, query, free_only) if catalog else []
    if catalog and model not in {m.id for m in shown} and catalog.get(model):
        shown.insert(0, catalog.get(model))  # the current choice stays visible
    return (
        render_template(
            "settings/index.html",
            masked_key=session_store.mask_key(own_key),
            server_key=bool(current_app.config.get("OPENROUTER_API_KEY")),
            catalog=catalog,
            shown_models=shown,
            curated=curated_choices(),
            query=query,
            free_only=free_only,
            model=model,
            model_notice=model_notice,
            default_model=current_app.config["DEFAULT_MODEL"],
            errors=errors or {},
        ),
        status,
    )


@bp.get("")
def index():
    """Show the key and model settings."""
    return _render()


def validate_key(raw: str, saved: str | None) -> tuple[str | None, str | None]:
    """Return (key to save or None to keep, error)."""
    value = raw.strip()
    if not value or value == session_store.mask_key(saved):
        return None, None
    if "…" in value:
        return None, "That is the masked key shown here, not a key. Paste the full key."
    if not KEY_PATTERN.fullmatch(value):
        return None, (
            "An API key is 8 to 256 printable characters with no spaces; OpenRouter "
            "keys start with sk-or-."
        )
    return value, None


@bp.post("")
def save():
    """Save the key (an empty field keeps the saved one) and the model."""
    errors: dict[str, str] = {}
    new_key, key_error = validate_key(
        request.form.get("api_key", ""), session_store.saved_api_key()
    )
    if key_error:
        errors["api_key"] = key_error
    model = request.form.get("model", "").strip()
    if model and model not in allowed_models(model_catalog.get_catalog()):
        errors["model"] = "Pick a model from the list."
    if errors:
        return _render(errors, 400)
    if model:
        session_store.choose_model(model)
    if new_key:
        session_store.save_api_key(new_key)
        flash("Your API key is saved (encrypted) for this session.", "success")
    else:
        flash("Settings saved.", "success")
    return redirect(url_for("settings.index"), 303)


def describe_key_info(info: KeyInfo) -> str:
    """Summarize a key's label, limit and usage in one line."""

    def dollars(value: float | None) -> str:
        return "unlimited" if value is None else f"${value:,.2f}"

    parts = [f"OpenRouter accepted the key{f' “{info.label}”' if info.label else ''}."]
    parts.append(f"Usage: {dollars(info.usage or 0.0)}; limit: {dollars(info.limit)}")
    if info.limit_remaining is not None:
        parts[-1] += f"; remaining: {dollars(info.limit_remaining)}"
    parts[-1] += "."
    if info.is_free_tier:
        parts.append("Free tier: only free models and low rate limits.")
    return " ".join(parts)


def describe_key_error(exc: OpenRouterError) -> str:
    """Say exactly why a key test failed (worded by the one failure table)."""
    provider = current_app.extensions["openrouter"]
    detail = failures.detail_of(exc, "", getattr(provider, "name", "OpenRouter"))
    return failures.sentence(exc.kind, detail, key_test=True)


@bp.post("/test-key")
@rate_limited(*key_test_limits())
def test_key():
    """Check the saved key against OpenRouter without spending a completion."""
    key = session_store.saved_api_key()
    if not key:
        flash("No key of yours is saved. Paste one above and save it first.", "error")
        return redirect(url_for("settings.index"), 303)
    try:
        info = current_app.extensions["openrouter"].key_info(key)
    except OpenRouterError as exc:
        flash(describe_key_error(exc), "error")
    else:
        flash(describe_key_info(info), "success")
    return redirect(url_for("settings.index"), 303)


@bp.post("/forget-key")
def forget_key():
    """Remove the visitor's key from the session."""
    session_store.forget_api_key()
    flash("Your API key was removed from this session.", "success")
    return redirect(url_for("settings.index"), 303)


# ---------------------------------------------------------------- the model menu
# The chat page's model menu reads GET /settings/model as JSON and posts a choice back;
# without JavaScript the same address is a small page that returns to the conversation.


@bp.app_template_global()
def model_summary(model_id: str) -> ModelInfo | None:
    """The catalog's entry for a model (context, prices), for the chat page's header."""
    return model_catalog.get_catalog().get(model_id)


def choosable_models(catalog: model_catalog.Catalog) -> list[ModelInfo]:
    """The catalog's models, or the hand-picked ones (no prices known) when it is empty."""
    if catalog:
        return catalog.models
    return [ModelInfo(model, label, None, None, None) for model, label in curated_choices()]


def model_entry(model: ModelInfo) -> dict[str, Any]:
    """One model as the menu's script reads it; prices in US dollars per million tokens."""

    def per_million(price: float | None) -> float | None:
        # Rounded: 0.00000015 * 1e6 is 0.15000000000000002 in floating point.
        return None if price is None else round(price * 1_000_000, 6)

    return {
        "id": model.id,
        "name": model.name,
        "context_length": model.context_length,
        "prompt_per_million": per_million(model.prompt_price),
        "completion_per_million": per_million(model.completion_price),
        "is_free": model.is_free,
        "facts": model_facts(model),
    }


def _render_model_page(error: str | None = None, status: int = 200):
    catalog = model_catalog.get_catalog()
    model, model_notice = model_catalog.resolve_model(session_store.chosen_model(), catalog)
    query = request.args.get("q", "").strip()[:100]
    free_only = request.args.get("free") == "1"
    models = choosable_models(catalog)
    shown = filter_models(models, query, free_only)
    current = next((item for item in models if item.id == model), None)
    if current is not None and current not in shown:
        shown.insert(0, current)  # the current choice stays visible, as in Settings
    response = make_response(
        render_template(
            "settings/model.html",
            catalog=catalog,
            shown_models=shown,
            total=len(models),
            query=query,
            free_only=free_only,
            model=model,
            current=current,
            model_notice=model_notice,
            back=local_path(request.values.get("next")),
            error=error,
        ),
        status,
    )
    response.vary.add("Accept")
    return response


@bp.get("/model")
def model_choices():
    """List the models to choose from: JSON for the chat page's menu, else a page."""
    if not wants_json():
        return _render_model_page()
    catalog = model_catalog.get_catalog()
    model, _ = model_catalog.resolve_model(session_store.chosen_model(), catalog)
    query = request.args.get("q", "").strip()[:100]
    shown = filter_models(choosable_models(catalog), query, request.args.get("free") == "1")
    response = jsonify({"current": model, "models": [model_entry(item) for item in shown]})
    # One address answers a page or JSON: a cache must keep them apart.
    response.vary.add("Accept")
    return response


def _posted_fields() -> dict[str, str]:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return {}
        return {name: value for name, value in data.items() if isinstance(value, str)}
    return {name: request.form.get(name, "") for name in ("model", "next", "draft")}


@bp.post("/model")
def choose_model():
    """Choose the model that answers the visitor's next message."""
    fields = _posted_fields()
    model = fields.get("model", "").strip()
    catalog = model_catalog.get_catalog()
    if model not in allowed_models(catalog):
        message = (
            f"“{model[:100]}” is not in the model list. Pick one of the models shown."
            if model
            else "Pick one of the models shown."
        )
        if wants_json():
            return jsonify(error_body("bad_model", message)), 400
        return _render_model_page(message, 400)
    session_store.choose_model(model)
    if wants_json():
        chosen = next(item for item in choosable_models(catalog) if item.id == model)
        return jsonify({"model": model, "summary": model_entry(chosen)})
    flash(f"Model changed to {model}. It answers your next message.", "success")
    # A message refused for its pictures comes back with its text (the page's "Use ..."
    # buttons post it along); a browser never refills a file field, so pictures are chosen
    # again.
    session_store.keep_draft(fields.get("draft"))
    return redirect(local_path(fields.get("next")), 303)
