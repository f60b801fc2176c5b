# One entry point for learners, instructors and CI. Every target sets up what it needs.
#   make book    install, build the HTML book with this machine's profile, serve it on :8000
#   make test    install, run every test (notebooks, generation, grading contract, book)
#   make lab     install, open the course in JupyterLab
#   make chapters  regenerate chapters/ from solutions/ (instructors)
#   make translations  update the Chinese edition's catalogues (book/locales/) from the pages

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8000
TEST_PROFILE ?= smoke
# Test workers (pytest-xdist --dist loadscope): each notebook, each test module and each class
# (the grading contract has one per chapter) runs whole in one worker.
TEST_WORKERS ?= 2
# One PyTorch (OpenMP) thread per process under test: with a worker per core, more threads per
# notebook kernel only make the workers' threads spin against each other (a chapter's wrong-answer
# runs took 9 minutes with the default threads beside a busy second worker, 45 s with one).
TEST_THREADS ?= 1
STAMP := $(VENV)/.installed

.PHONY: setup book book-build serve test lab chapters grade clean translations

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# PyTorch first, pinned: requirements.txt asks for a range, and the pinned release is
	# a CPU build on this project's machines (override with TORCH_SPEC=...).
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Also installs MathJax with npm (package-lock.json) when Node.js is present, and builds the
# PDF edition when Chromium is (each says so when it is missing).
book-build: setup
	$(PY) tools/build_book.py --pdf

book: book-build serve

serve:
	@echo "Serving the book at http://localhost:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

test: setup
	COURSE_PROFILE=$(TEST_PROFILE) OMP_NUM_THREADS=$(TEST_THREADS) MKL_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=30 --nbval-lax --nbval-current-env solutions tests

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=.

# The Chinese edition: extract every page's messages into book/locales/zh_CN/ (then translate
# the new ones in the .po files), and count what is translated per page.
translations: setup
	$(PY) tools/editions.py update
	$(PY) tools/editions.py stat

chapters: setup
	$(PY) -m autograder generate

grade: setup
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade CHAPTER=03_attention SUBMISSIONS=path/to/folder"; exit 2; }
	$(PY) -m autograder grade $(CHAPTER) $(SUBMISSIONS)

clean:
	rm -rf _build .cache book/chapters autograder/work
