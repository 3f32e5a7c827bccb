"""Stories: fold duplicates and group each event's coverage across outlets and languages.

- ``dedup``: exact (GUID, canonical URL, content hash) and MinHash/LSH near-duplicates;
- ``engine``: ``StoryEngine``, the online engine (add, per-article state, restore, evict);
- ``cluster``: its core, the windowed story clusterer and the text analysis;
- ``embed``: the multilingual sentence embedder (USE multilingual v3, offline);
- ``summary``: headline, short extractive summary, sources, languages, timeline;
- ``cli``: ``run_jsonl`` behind ``akhbar stories``.
"""

from akhbar.stories.cluster import Assignment, ClusterConfig, StoryClusterer, StoryDoc
from akhbar.stories.engine import StoryEngine

__all__ = ["Assignment", "ClusterConfig", "StoryClusterer", "StoryDoc", "StoryEngine"]
