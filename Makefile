# akhbar: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
AKHBAR_DATA ?= $(abspath ../shared/data)
export AKHBAR_DATA

.PHONY: install run demo test lock clean eval-search bench-search ner-clusters train-ner eval-ner eval-hashtags eval-stories train-sections eval-sections screenshots icons worker beat bench-workers loadtest bench bench-quick

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Create/migrate the database (SQLite in ./data), follow the default
## sources and serve the site on http://$(HOST):$(PORT) while crawling.
run: install
	$(BIN)/akhbar init
	$(BIN)/akhbar run --host $(HOST) --port $(PORT)

## Like run, but first replays real articles from ../shared/data so the
## site has news to show offline.
demo: install
	$(BIN)/akhbar init
	$(BIN)/akhbar replay $(AKHBAR_DATA)/ant-multisource/BBC --limit 1500
	$(BIN)/akhbar replay $(AKHBAR_DATA)/ant-multisource/CNN --limit 1500
	$(BIN)/akhbar run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -q -p no:cacheprovider

## Known-item search quality (MRR@10, recall@10) against plain FTS5.
eval-search: install
	$(BIN)/python scripts/eval_search.py --docs 5000 --queries 300

## Search latency at 100k and 1M stored articles (builds .bench/*.db once).
bench-search: install
	$(BIN)/python scripts/bench_search.py --sizes 100000 1000000

## Arabic NER: word clusters from the unlabeled ANT text (committed), the
## CRF trained on CLEANANERCorp, and its held-out evaluation.
ner-clusters: install
	$(BIN)/python scripts/cluster_words.py

train-ner: install
	$(BIN)/python scripts/train_ner.py

eval-ner: install
	$(BIN)/python scripts/eval_ner.py

## Hashtags: cross-script name matching on eval/name_pairs.tsv, per-article
## hashtags over 1,000 real articles (coverage, cost, most frequent tags).
eval-hashtags: install
	$(BIN)/python scripts/eval_hashtags.py --articles 1000

## Story clustering: pairwise/B-cubed P/R/F1 against baselines on the Arabic
## gold and ../shared/data/stories; ms/article at growing stream sizes.
eval-stories: install
	$(BIN)/python scripts/eval_stories.py --cost

## Section classifier: train on ANT -> akhbar/sections/model/ (~2 min), then
## evaluate held-out and leave-one-outlet-out, desk vs hand-checked labels (~25-40 min).
train-sections: install
	$(BIN)/python scripts/train_sections.py

eval-sections: install
	$(BIN)/python scripts/eval_sections.py

## Scale-out: Celery workers and the polling schedule against AKHBAR_BROKER_URL
## and a PostgreSQL AKHBAR_DATABASE_URL (docs/deploy.md).
worker: install
	$(BIN)/akhbar worker

beat: install
	$(BIN)/akhbar beat

## Ingest throughput with 1, 2 and 4 worker processes against PostgreSQL + Redis.
bench-workers: install
	$(BIN)/python scripts/bench_workers.py --workers 1 2 4 --per-outlet 500

## 100 connections for 60 s per page with wrk (apt-get install wrk) on loopback.
loadtest: install
	$(BIN)/python scripts/loadtest.py

## Performance at scale: ingest, polling, serving, growth (builds .bench/ stores;
## needs wrk: apt-get install -y wrk). --quick takes a few minutes.
bench-quick: install
	$(BIN)/python scripts/bench.py --quick

bench: install
	$(BIN)/python scripts/bench.py

## Phone and desktop screenshots of every page (Debian chromium) -> screenshots/.
screenshots: install
	$(BIN)/python scripts/screenshots.py

## Redraw the PNG icons from akhbar/web/static/icon.svg (needs the assets extra).
icons: install
	$(BIN)/pip install -q pillow==13.0.0
	$(BIN)/python -m akhbar.web.pwa icons

## Re-pin the whole dependency tree after changing pyproject.toml.
lock:
	$(BIN)/pip install -q -e '.[test,train,assets]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^akhbar' > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
