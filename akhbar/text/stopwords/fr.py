"""French stop words: function words only (see README.md). Accents are
folded by the loader, as they are for tokens."""

WORDS = """
le la les l un une des du de d et ou mais donc or ni car à a au aux en dans sur sous par pour avec sans chez
entre vers ce cet cette ces c ça cela ceci celle celui ceux celles il elle ils elles on nous vous je j tu
me m te t se s lui leur leurs son sa ses mon ma mes ton ta tes notre nos votre vos qui que qu quoi dont où
ne n pas plus y est sont été être était étaient sera seront serait ont avait avaient avoir as ai eu
fait comme si aussi très tout tous toute toutes même lors ainsi alors déjà encore selon après avant
depuis pendant contre ici là jusqu lorsqu puisqu quoiqu
"""
