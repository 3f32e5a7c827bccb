"""Stories: fold duplicates and group each event's coverage across outlets and languages.

- ``dedup``: exact (GUID, canonical URL, content hash) and MinHash/LSH near-duplicates;
- ``cluster``: the online, windowed story clusterer (``StoryClusterer.add(doc)``);
- ``embed``: the multilingual sentence embedder (USE multilingual v3, offline);
- ``summary``: headline, short extractive summary, sources, languages, timeline;
- ``cli``: ``run_jsonl`` behind ``akhbar stories``.
"""

from akhbar.stories.cluster import Assignment, ClusterConfig, StoryClusterer, StoryDoc

__all__ = ["Assignment", "ClusterConfig", "StoryClusterer", "StoryDoc"]
