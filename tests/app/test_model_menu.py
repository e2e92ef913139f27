"""The chat page's model menu: the JSON list, choosing by fetch or by form, where a form
goes back to, and the chooser page that stands in for the menu without JavaScript."""

from __future__ import annotations

import re

import pytest

from config import CURATED_MODELS
from rendering import context_label
from tests.support import Visitor, conversation_id_from
from tests.support.fake_openrouter import DEFAULT_MODELS, Reply

JSON = {"Accept": "application/json"}
DEFAULT = "deepseek/deepseek-chat-v3-0324:free"


def meta_token(visitor: Visitor) -> str:
    """The form token a script reads from <meta name="csrf-token">."""
    page = visitor.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def choose_by_fetch(visitor: Visitor, model: str, *, as_form: bool = False):
    """Post a choice as static/js/model_menu.js does (a JSON body), or as form fields."""
    headers = {**JSON, "X-CSRFToken": meta_token(visitor)}
    if as_form:
        return visitor.client.post("/settings/model", data={"model": model}, headers=headers)
    return visitor.client.post("/settings/model", json={"model": model}, headers=headers)


def listed(response) -> list[str]:
    return [entry["id"] for entry in response.get_json()["models"]]


# ---------------------------------------------------------------- the list


def test_the_menu_reads_the_catalog_as_json_with_prices_per_million(visitor, fake):
    response = visitor.get("/settings/model", headers=JSON)
    assert response.status_code == 200
    assert "Accept" in response.headers["Vary"]  # one address, a page or JSON
    body = response.get_json()
    assert body["current"] == DEFAULT
    assert sorted(listed(response)) == sorted(entry["id"] for entry in DEFAULT_MODELS)
    mini = next(entry for entry in body["models"] if entry["id"] == "openai/gpt-4o-mini")
    assert mini == {
        "id": "openai/gpt-4o-mini",
        "name": "Gpt 4O Mini",
        "context_length": 128000,
        "prompt_per_million": 0.15,
        "completion_per_million": 0.6,
        "is_free": False,
        "facts": "128k context · $0.15 / $0.60 per M tokens",
    }
    free = next(entry for entry in body["models"] if entry["id"] == DEFAULT)
    assert free["is_free"] is True and free["prompt_per_million"] == 0


def test_the_json_list_honours_search_and_free_only(visitor, fake):
    assert listed(visitor.get("/settings/model?q=claude", headers=JSON)) == [
        "anthropic/claude-3.5-haiku"
    ]
    assert listed(visitor.get("/settings/model?q=LLAMA+instruct", headers=JSON)) == [
        "meta-llama/llama-3.3-70b-instruct:free"
    ]
    assert set(listed(visitor.get("/settings/model?free=1", headers=JSON))) == {
        DEFAULT,
        "meta-llama/llama-3.3-70b-instruct:free",
    }
    assert listed(visitor.get("/settings/model?q=claude&free=1", headers=JSON)) == []


def test_without_a_catalog_the_menu_offers_the_short_list(make_app, fake):
    fake.state.models_status = 503
    visitor = Visitor(make_app().test_client())
    body = visitor.get("/settings/model", headers=JSON).get_json()
    assert {entry["id"] for entry in body["models"]} == {model for model, _ in CURATED_MODELS}
    gemini = next(e for e in body["models"] if e["id"] == "google/gemini-2.5-flash")
    assert gemini["context_length"] is None and gemini["prompt_per_million"] is None
    page = visitor.get("/settings/model").get_data(as_text=True)
    assert "showing a short list" in page
    assert 'value="google/gemini-2.5-flash"' in page


# ---------------------------------------------------------------- choosing


@pytest.mark.parametrize("as_form", [False, True], ids=["json-body", "form-fields"])
def test_a_choice_by_fetch_answers_the_next_message(keyed_visitor, fake, as_form):
    fake.queue(Reply("First answer."), Reply("Second answer."))
    cid = conversation_id_from(keyed_visitor.send("Which coolant for a 2015 Golf?"))
    assert fake.chat_requests[-1].body["model"] == DEFAULT

    response = choose_by_fetch(keyed_visitor, "openai/gpt-4o-mini", as_form=as_form)
    assert response.status_code == 200
    assert response.get_json() == {
        "model": "openai/gpt-4o-mini",
        "summary": {
            "id": "openai/gpt-4o-mini",
            "name": "Gpt 4O Mini",
            "context_length": 128000,
            "prompt_per_million": 0.15,
            "completion_per_million": 0.6,
            "is_free": False,
            "facts": "128k context · $0.15 / $0.60 per M tokens",
        },
    }
    keyed_visitor.send("And how much of it?", cid)
    assert fake.chat_requests[-1].body["model"] == "openai/gpt-4o-mini"
    # No flash message waits for the next page: the script already said it.
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Model changed" not in page
    assert '<code id="current-model">openai/gpt-4o-mini</code>' in page
    assert "128k context · $0.15 / $0.60 per M tokens" in page


def test_a_model_not_in_the_list_is_refused_and_nothing_changes(keyed_visitor, fake):
    response = choose_by_fetch(keyed_visitor, "made/up-model")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["kind"] == "bad_model"
    assert "made/up-model" in error["message"] and "not in the model list" in error["message"]
    assert choose_by_fetch(keyed_visitor, "").get_json()["error"]["kind"] == "bad_model"

    page = keyed_visitor.post(
        "/settings/model", {"model": "made/up-model", "next": "/"}, source="/settings/model"
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert re.search(
        r'<p class="form-error" id="model-error" role="alert">[^<]*not in the model list', text
    )
    assert '<code id="current-model">deepseek/deepseek-chat-v3-0324:free</code>' in text

    keyed_visitor.send("Still the default model?")
    assert fake.chat_requests[-1].body["model"] == DEFAULT


def test_choosing_needs_the_form_token(visitor, fake):
    response = visitor.client.post(
        "/settings/model", json={"model": "openai/gpt-4o-mini"}, headers=JSON
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == "csrf_failed"
    assert visitor.get("/settings/model", headers=JSON).get_json()["current"] == DEFAULT


# ---------------------------------------------------------------- where a form goes back to


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/c/1",
        "https://evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil.example",
        "",
    ],
)
def test_a_next_elsewhere_goes_back_to_the_chat_page(visitor, fake, target):
    response = visitor.post(
        "/settings/model", {"model": "openai/gpt-4o-mini", "next": target}, source="/settings/model"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    # The chooser page's links do not go there either.
    page = visitor.get("/settings/model", query_string={"next": target}).get_data(as_text=True)
    assert 'href="/">Back to the conversation</a>' in page


def test_a_local_next_is_kept(visitor, fake):
    response = visitor.post(
        "/settings/model",
        {"model": "openai/gpt-4o-mini", "next": "/c/0123abc?x=1"},
        source="/settings/model",
    )
    assert response.headers["Location"] == "/c/0123abc?x=1"


# ---------------------------------------------------------------- without JavaScript


def test_the_chat_header_shows_the_model_and_stays_light(visitor, fake):
    page = visitor.get("/").get_data(as_text=True)
    menu = re.search(
        r'<details class="model-menu" id="model-menu">.*?</details>', page, re.S
    ).group(0)
    assert '<code id="current-model">deepseek/deepseek-chat-v3-0324:free</code>' in menu
    assert "164k context · free" in menu
    # Without JavaScript the menu is a search form that leads to the chooser page.
    assert '<form method="get" action="/settings/model"' in menu
    assert '<input type="hidden" name="next" value="/">' in menu
    # The list itself is fetched when the menu opens, never sent with the page.
    assert "anthropic/claude-3.5-haiku" not in page
    assert "js/model_menu.js" in page


def test_without_javascript_a_visitor_chooses_and_comes_back(keyed_visitor, fake):
    fake.queue(Reply("Use G13 coolant."), Reply("About five litres."))
    cid = conversation_id_from(keyed_visitor.send("Which coolant for a 2015 Golf?"))
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert f'<input type="hidden" name="next" value="/c/{cid}">' in page

    # The menu's form: a search, sent as a GET to the chooser page.
    chooser = keyed_visitor.get("/settings/model", query_string={"q": "gpt", "next": f"/c/{cid}"})
    text = chooser.get_data(as_text=True)
    assert chooser.status_code == 200
    assert "<h1>Choose a model</h1>" in text
    radios = re.findall(r'<input type="radio" name="model" value="([^"]+)"', text)
    assert radios == [DEFAULT, "openai/gpt-4o-mini"]  # the current one stays in view
    assert "128k context · $0.15 / $0.60 per M tokens" in text
    assert f'<a class="button" href="/c/{cid}">Back to the conversation</a>' in text
    assert f'<input type="hidden" name="next" value="/c/{cid}">' in text
    free = keyed_visitor.get("/settings/model", query_string={"free": "1"}).get_data(as_text=True)
    assert re.findall(r'<input type="radio" name="model" value="([^"]+)"', free) == [
        DEFAULT,
        "meta-llama/llama-3.3-70b-instruct:free",
    ]

    response = keyed_visitor.post(
        "/settings/model",
        {"model": "openai/gpt-4o-mini", "next": f"/c/{cid}"},
        source=f"/settings/model?next=/c/{cid}",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{cid}"
    back = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Model changed to openai/gpt-4o-mini. It answers your next message." in back
    assert '<code id="current-model">openai/gpt-4o-mini</code>' in back

    keyed_visitor.send("How much of it?", cid)
    assert fake.chat_requests[-1].body["model"] == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("tokens", "label"),
    [(None, "–"), (600, "600"), (8192, "8k"), (128000, "128k"), (163840, "164k"),
     (1_000_000, "1M"), (1_048_576, "1.05M")],
)  # fmt: skip
def test_context_windows_read_short(tokens, label):
    assert context_label(tokens) == label
