"""Chapter 11's service (``transformer_course.serving``): every endpoint, every kind of bad input,
access control, metrics, generation against ``transformers``, the batcher plug-in, and one real
process started from the command line, loaded, and stopped without leaving anything behind.

Most tests use FastAPI's ``TestClient`` on one app (fast, no network); ``test_the_command_line_service``
starts the real thing once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
import torch
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from transformer_course.distributed import alive, descendants
from transformer_course.serving import (LoadReport, NoBatching, generate_ids, load_batcher_class, run_load,
                                        running_service)
from transformer_course.serving.__main__ import main as command_line
from transformer_course.serving.app import LimitBody, ModelWorker, ServiceSettings, create_app
from transformer_course.serving.metrics import ServiceMetrics
from transformer_course.serving.models import ServiceModels, sentiment_classifier_record

KEY = "test-key-0123456789abcdef"
HEADERS = {"X-API-Key": KEY}
SECRET_PROMPT = "ROMEO: the nightingale sings of SECRETS"


@pytest.fixture(scope="module")
def models():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what the service runs with (--threads 1), and kind to a shared machine
    yield ServiceModels.load()
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def client(models):
    with TestClient(create_app(ServiceSettings(api_key=KEY), models)) as test_client:
        yield test_client


def fresh_client(models, **settings):
    return TestClient(create_app(ServiceSettings(api_key=KEY, **settings), models))


def generate(client, **body):
    return client.post("/v1/generate", json={"prompt": "ROMEO:", "max_new_tokens": 12, **body}, headers=HEADERS)


def metric_samples(text: str) -> dict:
    """``{(sample name, sorted label items): value}`` for every sample of a Prometheus text page."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


# --- Endpoints -------------------------------------------------------------------------------------

def test_health_needs_no_key_and_names_both_models(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "models": ["small-gpt", "small-bert-sentiment"]}


def test_generate_returns_the_text_its_token_count_and_timings(client, models):
    response = generate(client, max_new_tokens=20, seed=0)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"text", "tokens", "prefill_ms", "decode_ms"}
    assert body["tokens"] == len(body["text"]) == 20  # one character per token
    assert set(body["text"]) <= set(models.gpt_tokenizer.stoi)
    assert body["prefill_ms"] > 0 and body["decode_ms"] > 0


def test_seeded_generation_is_reproducible_and_the_seed_matters(client):
    first, again = (generate(client, seed=7, max_new_tokens=40).json()["text"] for _ in range(2))
    other = generate(client, seed=8, max_new_tokens=40).json()["text"]
    assert first == again
    assert first != other


def test_greedy_service_text_is_transformers_greedy_text(client, models):
    prompt = "KING RICHARD:\n"
    ids = models.gpt_tokenizer.encode(prompt)[None]
    expected = models.gpt.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=30,
                                   pad_token_id=0, eos_token_id=None)[0, ids.shape[1]:]
    body = client.post("/v1/generate", json={"prompt": prompt, "max_new_tokens": 30, "temperature": 0},
                       headers=HEADERS).json()
    assert body["text"] == models.gpt_tokenizer.decode(expected)


def test_streaming_sends_one_line_per_token_then_a_summary(client):
    plain = generate(client, seed=3, max_new_tokens=15).json()
    response = generate(client, seed=3, max_new_tokens=15, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert "".join(line["text"] for line in lines[:-1]) == plain["text"]
    assert lines[-1]["done"] is True and lines[-1]["tokens"] == 15


def test_classify_returns_a_label_and_probabilities_per_text(client, models):
    texts = ["a wonderful, moving film", "dull, boring and far too long", "the plot"]
    response = client.post("/v1/classify", json={"texts": texts}, headers=HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["labels"]) == len(body["probabilities"]) == 3
    ids = [models.classifier_ids(text) for text in texts]
    for row, label, probabilities in zip(ids, body["labels"], body["probabilities"]):
        with torch.no_grad():
            expected = torch.softmax(models.classifier(torch.tensor([row])).logits[0], -1)
        assert probabilities == pytest.approx(expected.tolist(), abs=1e-5)
        assert label == models.labels[int(expected.argmax())]
    assert body["labels"][:2] == ["positive", "negative"]


def test_classifier_inputs_are_cls_text_sep_cut_to_64_tokens_as_in_fine_tuning(models):
    from transformer_course.bert import CLS_ID, SEP_ID, encode_sentences

    long_text = "a wonderful film " * 100
    ids = models.classifier_ids(long_text)
    assert len(ids) == 64 and ids[0] == CLS_ID and ids[-1] == SEP_ID
    assert ids == encode_sentences(models.classifier_tokenizer, [long_text], max_length=64)[0][0].tolist()
    assert models.classifier_ids("good") == encode_sentences(models.classifier_tokenizer, ["good"])[0][0].tolist()


def test_the_classifier_checkpoint_is_small_and_better_than_chance():
    from transformer_course.data import data_dir

    folder = data_dir() / "models" / "small-bert-sentiment"
    assert sum(f.stat().st_size for f in folder.iterdir()) <= 6 * 2**20
    record = sentiment_classifier_record()
    assert record["labels"] == ["negative", "positive"]
    assert record["test_accuracy"] >= 0.7, record["test_accuracy"]


def test_metrics_parse_and_count_the_requests_made(models):
    with fresh_client(models) as client:
        generate(client, max_new_tokens=5)
        generate(client, max_new_tokens=5)
        generate(client, temperature=-1)
        client.post("/v1/classify", json={"texts": ["good", "bad"]}, headers=HEADERS)
        client.get("/health")
        client.get("/metrics")  # no key: 401
        samples = metric_samples(client.get("/metrics", headers=HEADERS).text)
    requests = {labels: value for (name, labels), value in samples.items() if name == "service_requests_total"}
    assert requests == {(("endpoint", "/v1/generate"), ("status", "200")): 2,
                        (("endpoint", "/v1/generate"), ("status", "422")): 1,
                        (("endpoint", "/v1/classify"), ("status", "200")): 1,
                        (("endpoint", "/health"), ("status", "200")): 1,
                        (("endpoint", "/metrics"), ("status", "401")): 1}
    assert samples[("service_generated_tokens_total", ())] == 10
    assert samples[("service_request_seconds_count", (("endpoint", "/v1/generate"),))] == 3
    assert samples[("service_errors_total", (("endpoint", "/v1/generate"), ("reason", "invalid_input")))] == 1
    assert samples[("service_errors_total", (("endpoint", "/metrics"), ("reason", "unauthorized")))] == 1
    assert samples[("service_batch_size_count", ())] == 2  # NoBatching: one model call per text
    assert samples[("service_queue_depth", (("model", "gpt"),))] == 0
    assert samples[("service_prefill_seconds_count", ())] == 2


def test_each_app_has_its_own_metrics_registry(models):
    with fresh_client(models) as one, fresh_client(models) as two:
        one.get("/health")
        counts = [metric_samples(c.get("/metrics", headers=HEADERS).text) for c in (one, two)]
    health = ("service_requests_total", (("endpoint", "/health"), ("status", "200")))
    assert counts[0][health] == 1 and health not in counts[1]


# --- Access control --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"},
                                     {"X-API-Key": KEY[:-1]}, {"Authorization": f"Bearer {KEY}"}],
                         ids=["none", "empty", "wrong", "longer", "shorter", "other-header"])
@pytest.mark.parametrize("method, path", [("POST", "/v1/generate"), ("POST", "/v1/classify"), ("GET", "/metrics"),
                                          ("GET", "/nowhere")])
def test_401_without_the_right_key(client, headers, method, path):
    response = client.request(method, path, json={"prompt": "ROMEO:"}, headers=headers)
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]


def test_neither_the_key_nor_the_prompt_reaches_the_log(models, caplog):
    caplog.set_level(logging.DEBUG)
    with fresh_client(models) as client:
        assert generate(client, prompt=SECRET_PROMPT).status_code == 200
        refused = client.post("/v1/generate", json={"prompt": SECRET_PROMPT, "top_k": 0}, headers=HEADERS)
        assert refused.status_code == 422
        client.post("/v1/classify", json={"texts": [SECRET_PROMPT]}, headers={"X-API-Key": "not-" + KEY})
    assert "POST /v1/generate 200" in caplog.text  # the access log is there ...
    assert KEY not in caplog.text and "SECRETS" not in caplog.text  # ... without secrets
    assert KEY not in repr(ServiceSettings(api_key=KEY))


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="at least 16"):
        ServiceSettings(api_key="short")


# --- Bad input: always a 4xx with a message, never a crash -------------------------------------------

BAD_GENERATE = {
    "prompt not a string": {"prompt": 5},
    "prompt a list": {"prompt": ["ROMEO"]},
    "max_new_tokens a string": {"prompt": "a", "max_new_tokens": "5"},
    "max_new_tokens a float": {"prompt": "a", "max_new_tokens": 5.5},
    "max_new_tokens a bool": {"prompt": "a", "max_new_tokens": True},
    "temperature a string": {"prompt": "a", "temperature": "hot"},
    "top_k a float": {"prompt": "a", "top_k": 2.5},
    "seed a string": {"prompt": "a", "seed": "7"},
    "stream a string": {"prompt": "a", "stream": "yes"},
    "empty prompt": {"prompt": ""},
    "no prompt": {"max_new_tokens": 5},
    "over-long prompt": {"prompt": "a" * 129},
    "prompt and new tokens beyond the positions": {"prompt": "a" * 128, "max_new_tokens": 129},
    "max_new_tokens 0": {"prompt": "a", "max_new_tokens": 0},
    "max_new_tokens over the limit": {"prompt": "a", "max_new_tokens": 129},
    "negative temperature": {"prompt": "a", "temperature": -0.5},
    "huge temperature": {"prompt": "a", "temperature": 1e9},
    "top_k 0": {"prompt": "a", "top_k": 0},
    "top_k beyond the vocabulary": {"prompt": "a", "top_k": 66},
    "top_p 0": {"prompt": "a", "top_p": 0.0},
    "top_p above 1": {"prompt": "a", "top_p": 1.5},
    "negative seed": {"prompt": "a", "seed": -1},
    "seed beyond 64 bits": {"prompt": "a", "seed": 2**64},
    "unknown field": {"prompt": "a", "temprature": 0.5},
}


@pytest.mark.parametrize("body", BAD_GENERATE.values(), ids=BAD_GENERATE.keys())
def test_bad_generate_requests_get_a_422_that_names_the_field(client, body):
    response = client.post("/v1/generate", json=body, headers=HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


BAD_CLASSIFY = {
    "texts a string": {"texts": "good film"},
    "a text not a string": {"texts": ["good", 3]},
    "no texts": {"texts": []},
    "an empty text": {"texts": ["good", ""]},
    "too many texts": {"texts": ["good"] * 33},
    "an over-long text": {"texts": ["a" * 1001]},
    "unknown field": {"texts": ["good"], "model": "gpt-4"},
    "no field": {},
}


@pytest.mark.parametrize("body", BAD_CLASSIFY.values(), ids=BAD_CLASSIFY.keys())
def test_bad_classify_requests_get_a_422(client, body):
    response = client.post("/v1/classify", json=body, headers=HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_that_leaves_no_room_for_the_new_tokens_is_refused_before_any_stream(models, stream):
    with fresh_client(models, max_prompt_chars=250) as client:
        response = generate(client, prompt="a" * 250, max_new_tokens=7, stream=stream)
    assert response.status_code == 422
    assert response.json()["detail"] == ("prompt (250 characters) plus max_new_tokens (7) "
                                         "exceed the model's 256 positions")


def test_out_of_vocabulary_characters_are_named(client):
    response = generate(client, prompt="Café — naïve")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert all(repr(c) in detail for c in "é—ï") and "'C'" not in detail


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"null", b'"ROMEO"', b""])
def test_a_body_that_is_not_a_json_object_gets_a_422(client, content):
    response = client.post("/v1/generate", content=content, headers={**HEADERS, "content-type": "application/json"})
    assert response.status_code == 422


def test_oversized_bodies_get_a_413_announced_or_not(client):
    big = json.dumps({"prompt": "a" * 20_000}).encode()
    assert client.post("/v1/generate", content=big, headers={**HEADERS, "content-type": "application/json"}
                       ).status_code == 413
    chunks = (big[i:i + 4096] for i in range(0, len(big), 4096))  # no Content-Length: chunked
    assert client.post("/v1/generate", content=chunks, headers={**HEADERS, "content-type": "application/json"}
                       ).status_code == 413
    assert generate(client, max_new_tokens=3).status_code == 200  # and the service goes on


def test_a_body_that_stops_arriving_gets_a_408_instead_of_a_stall():
    sent = []

    async def app(scope, receive, send):
        raise AssertionError("the app must not run")

    async def receive():
        if not sent:
            sent.append("first")
            return {"type": "http.request", "body": b'{"prompt": ', "more_body": True}
        await asyncio.sleep(3600)  # the client never sends the rest

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/generate", "headers": []}
    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(LimitBody(app, max_bytes=1000, timeout_s=0.2)(scope, receive, send), timeout=5))
    assert time.perf_counter() - started < 2
    assert sent[1]["status"] == 408


def test_an_announced_oversized_body_is_refused_before_it_is_read():
    sent = []

    async def app(scope, receive, send):
        raise AssertionError("the app must not run")

    async def receive():
        raise AssertionError("the body must not be read")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/generate", "headers": [(b"content-length", b"1000001")]}
    asyncio.run(LimitBody(app, max_bytes=1000, timeout_s=1)(scope, receive, send))
    assert sent[0]["status"] == 413 and b"1000 bytes" in sent[1]["body"]


def test_a_full_queue_answers_503_at_once():
    async def scenario():
        worker = ModelWorker("gpt", limit=2, metrics=ServiceMetrics.create())
        async with worker.admit(2):
            with pytest.raises(Exception) as refused:
                async with worker.admit():
                    pass
        async with worker.admit():  # room again
            pass
        worker.close()
        return refused.value

    error = asyncio.run(scenario())
    assert error.status_code == 503 and "busy" in error.detail


def test_generation_streamed_or_not_gets_503_when_the_queue_is_full(models):
    app = create_app(ServiceSettings(api_key=KEY, max_queued_requests=1), models)
    with TestClient(app) as client:
        app.state.service.gpt.waiting = 1  # as if one request were being served
        for stream in (False, True):
            response = generate(client, stream=stream)
            assert response.status_code == 503 and response.headers["retry-after"] == "1"
            assert "busy" in response.json()["detail"]
        app.state.service.gpt.waiting = 0
        assert generate(client, max_new_tokens=2).status_code == 200


# --- Generation against transformers -----------------------------------------------------------------

def test_greedy_ids_equal_transformers_generate_for_a_left_padded_batch(models):
    """``eos_token_id=None``: the checkpoint names "\\n" (id 0) as its end token, but a character model
    of a play has no end; the service always generates ``max_new_tokens`` tokens."""
    prompts = [models.gpt_tokenizer.encode(text) for text in ("ROMEO:", "First Citizen:\nBefore we", "O")]
    result = generate_ids(models.gpt, prompts, max_new_tokens=25, temperature=0)
    for prompt, ids in zip(prompts, result.ids):
        expected = models.gpt.generate(prompt[None], attention_mask=torch.ones_like(prompt[None]), do_sample=False,
                                       max_new_tokens=25, pad_token_id=0, eos_token_id=None)[0, len(prompt):]
        assert torch.equal(ids, expected)
    assert result.prefill_s > 0 and result.decode_s > 0


def test_cached_and_uncached_greedy_agree(models):
    prompts = [models.gpt_tokenizer.encode(text) for text in ("JULIET:\n", "To be")]
    cached = generate_ids(models.gpt, prompts, max_new_tokens=20, temperature=0, use_cache=True)
    uncached = generate_ids(models.gpt, prompts, max_new_tokens=20, temperature=0, use_cache=False)
    assert all(torch.equal(a, b) for a, b in zip(cached.ids, uncached.ids))


def test_top_k_1_and_a_tiny_top_p_sample_the_greedy_token(models):
    prompt = [models.gpt_tokenizer.encode("HAMLET:")]
    greedy = generate_ids(models.gpt, prompt, max_new_tokens=15, temperature=0).ids[0]
    assert torch.equal(generate_ids(models.gpt, prompt, max_new_tokens=15, top_k=1, seed=1).ids[0], greedy)
    assert torch.equal(generate_ids(models.gpt, prompt, max_new_tokens=15, top_p=1e-6, seed=2).ids[0], greedy)


def test_generate_ids_refuses_what_it_cannot_do(models):
    prompt = [models.gpt_tokenizer.encode("a")]
    for bad in ({"temperature": -1.0}, {"top_k": 0}, {"top_p": 0.0}, {"max_new_tokens": 0}, {"max_new_tokens": 256}):
        with pytest.raises(ValueError):
            generate_ids(models.gpt, prompt, **{"max_new_tokens": 4, **bad})
    with pytest.raises(ValueError):
        generate_ids(models.gpt, [torch.tensor([], dtype=torch.long)], max_new_tokens=4)


# --- The batcher plug-in -------------------------------------------------------------------------------

TEST_BATCHER = '''
import asyncio
import torch


class WholeRequestBatcher:
    """Test batcher: every text that arrives within max_wait_s goes into one model call."""

    calls = []

    def __init__(self, model_fn, *, max_batch_size=8, max_wait_s=0.005, pad_id=0):
        self.model_fn, self.max_wait_s, self.pad_id = model_fn, max_wait_s, pad_id
        self.pending = []

    async def submit(self, token_ids):
        if not token_ids:
            raise ValueError("empty request")
        future = asyncio.get_running_loop().create_future()
        self.pending.append((token_ids, future))
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_later(self.max_wait_s, self.flush)
        return await future

    def flush(self):
        batch, self.pending = self.pending, []
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        for row, (request, _) in enumerate(batch):
            ids[row, :len(request)] = torch.tensor(request)
        WholeRequestBatcher.calls.append(len(batch))
        for (_, future), row in zip(batch, self.model_fn(ids, (ids != self.pad_id).long())):
            future.set_result(row)

    async def aclose(self):
        pass
'''


def test_a_batcher_named_on_the_command_line_is_used(models, tmp_path):
    path = tmp_path / "my_batcher.py"
    path.write_text(TEST_BATCHER, encoding="utf-8")
    texts = ["a wonderful film", "terribly dull", "fine", "I would not watch it again"]
    with TestClient(create_app(ServiceSettings(api_key=KEY), models)) as plain_client:
        plain = plain_client.post("/v1/classify", json={"texts": texts}, headers=HEADERS).json()
    app = create_app(ServiceSettings(api_key=KEY, batcher=f"{path}:WholeRequestBatcher", max_wait_s=0.05), models)
    with TestClient(app) as client:
        batched = client.post("/v1/classify", json={"texts": texts}, headers=HEADERS).json()
        samples = metric_samples(client.get("/metrics", headers=HEADERS).text)
    batcher_class = type(app.state.service.batcher)
    assert batcher_class.__name__ == "WholeRequestBatcher" and batcher_class.calls == [4]
    assert samples[("service_batch_size_count", ())] == 1 and samples[("service_batch_size_sum", ())] == 4
    assert batched["labels"] == plain["labels"]
    assert torch.allclose(torch.tensor(batched["probabilities"]), torch.tensor(plain["probabilities"]),
                          atol=1e-5)  # padding changes nothing


@pytest.mark.parametrize("spec, message", [("no_colon.py", "FILE.py:ClassName"), ("/nowhere/b.py:B", "does not exist"),
                                           ("{file}:Missing", "no class"), ("{file}:helper", "no class")])
def test_a_wrong_batcher_spec_is_refused_clearly(tmp_path, spec, message):
    file = tmp_path / "b.py"
    file.write_text("def helper():\n    pass\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_batcher_class(spec.format(file=file))


def test_no_batching_is_the_default_and_refuses_an_empty_request():
    assert load_batcher_class(None) is NoBatching
    batcher = NoBatching(lambda ids, mask: ids * 2)
    assert asyncio.run(batcher.submit([1, 2])).tolist() == [2, 4]
    with pytest.raises(ValueError):
        asyncio.run(batcher.submit([]))


# --- Load reports and the command line --------------------------------------------------------------

def test_load_report_percentiles_and_throughput():
    report = LoadReport(latencies_s=[0.4, 0.1, 0.3, 0.2, 0.5], wall_s=2.0, sent=6)
    report.failures["503"] += 1
    assert report.p50 == pytest.approx(0.3) and report.percentile(100) == pytest.approx(0.5)
    assert report.p95 == pytest.approx(0.48)
    assert report.throughput == pytest.approx(2.5) and report.failed == 1
    assert report.summary()["failures"] == {"503": 1}


def test_run_load_talks_to_this_machine_only():
    for url in ("http://example.com:8000", "http://10.0.0.1:8000", "http://127.0.0.1.example.com"):
        with pytest.raises(ValueError, match="this machine"):
            run_load(url, "/health", [{}], api_key=KEY, concurrency=1, n_requests=1)


def test_the_command_line_refuses_to_start_without_a_key_or_off_this_machine(monkeypatch, capsys):
    import uvicorn

    import transformer_course.serving.__main__ as command_line_module

    def must_not_start(*args, **kwargs):
        raise AssertionError("the service started")

    monkeypatch.setattr(uvicorn, "run", must_not_start)
    monkeypatch.setattr(command_line_module, "create_app", must_not_start)
    monkeypatch.delenv("COURSE_API_KEY", raising=False)
    assert command_line(["--port", "1"]) == 2
    assert "COURSE_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("COURSE_API_KEY", "short")
    assert command_line(["--port", "1"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    monkeypatch.setenv("COURSE_API_KEY", KEY)
    assert command_line(["--host", "0.0.0.0", "--port", "1"]) == 2
    assert "0.0.0.0" in capsys.readouterr().err


def test_stopping_a_process_also_stops_the_children_it_started():
    import subprocess
    import sys

    from transformer_course.serving.client import stop_process_tree

    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time\n"
                               "subprocess.Popen(['sleep', '60']); print('child started', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "child started"
    children = descendants(parent.pid)
    assert len(children) == 1
    stop_process_tree(parent, grace_s=5)
    time.sleep(0.2)
    assert not alive(parent.pid) and not any(alive(child) for child in children)


def test_a_server_whose_parent_is_gone_stops_itself(monkeypatch):
    import os

    import transformer_course.serving.__main__ as command_line_module

    signals, parents = [], iter([100, 100, 100, 1])  # the parent dies: the orphan goes to init (1)
    monkeypatch.setattr(os, "getppid", lambda: next(parents, 1))
    monkeypatch.setattr(os, "kill", lambda pid, sig: signals.append((pid, sig)))
    command_line_module.stop_when_orphaned(poll_s=0.01).join(timeout=5)
    assert signals == [(os.getpid(), command_line_module.signal.SIGTERM)]


def test_the_command_line_service_under_load_leaves_no_process_behind():
    """One real process: settings reach it, it answers /health while generating, 40 requests at
    concurrency 8 all succeed, its log holds neither key nor prompt, and it is gone afterwards,
    with every child, although the block raises."""
    with pytest.raises(RuntimeError, match="leaving the block"):
        with running_service(max_prompt_chars=64) as service:
            pid, family, url = service.pid, descendants(service.pid), service.url
            assert httpx.post(f"{url}/v1/generate", json={"prompt": "a" * 65}, headers=service.headers
                              ).status_code == 422  # --max-prompt-chars 64 arrived
            long_stream = {"prompt": SECRET_PROMPT, "max_new_tokens": 128, "seed": 1, "stream": True}
            with httpx.stream("POST", f"{url}/v1/generate", headers=service.headers, timeout=60,
                              json=long_stream) as stream:
                lines = stream.iter_lines()
                next(lines)  # the first token arrived: the model is generating
                first_token_at = time.perf_counter()
                assert httpx.get(f"{url}/health").status_code == 200
                health_at = time.perf_counter()
                summary = json.loads(list(lines)[-1])
            assert summary["done"] and summary["tokens"] == 128
            assert health_at - first_token_at < summary["decode_ms"] / 1e3, "/health waited for the generation"
            with httpx.stream("POST", f"{url}/v1/generate", headers=service.headers, timeout=60,
                              json={"prompt": "a", "max_new_tokens": 128, "stream": True}) as stream:
                next(stream.iter_lines())  # then hang up: the service should stop generating
            started = time.perf_counter()
            assert httpx.post(f"{url}/v1/generate", headers=service.headers, timeout=60,
                              json={"prompt": "a", "max_new_tokens": 1}).status_code == 200
            assert time.perf_counter() - started < summary["decode_ms"] / 2e3, "an abandoned stream went on generating"
            report = run_load(url, "/v1/generate", [{"prompt": "To be", "max_new_tokens": 8, "seed": i}
                                                     for i in range(4)],
                              api_key=service.api_key, concurrency=8, n_requests=40, max_seconds=20)
            assert report.failed == 0 and report.succeeded == 40, report.summary()

            async def in_a_notebook():  # Jupyter runs every cell inside a running event loop
                return run_load(url, "/v1/classify", [{"texts": ["a fine day"]}], api_key=service.api_key,
                                concurrency=2, n_requests=4, max_seconds=20)

            assert asyncio.run(in_a_notebook()).succeeded == 4
            log = service.log_text()
            assert "POST /v1/generate 200" in log
            assert service.api_key not in log and "SECRETS" not in log
            raise RuntimeError("leaving the block")
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid) and not any(alive(child) for child in family)
    assert not service.log_path.exists() and "Shutting down" in service.log_text()  # no folder left either
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=1)
