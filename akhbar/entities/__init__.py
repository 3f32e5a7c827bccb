"""Named entities in Arabic news text (people, places, organizations, other
names) for akhbar's hashtags: see ``ner.ArabicNER``."""

from akhbar.entities.ner import ArabicNER, Entity, conll_io

__all__ = ["ArabicNER", "Entity", "conll_io"]
