"""akhbar: a news aggregator for the Arabic-speaking world.

Data flows one way through the subpackages:
sources -> fetching -> feeds -> extraction -> text/dates/hashtags (understand)
-> pipeline (assemble) -> storage -> web / cli.
"""

__version__ = "0.1.0"
