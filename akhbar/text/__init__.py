"""Text analysis: normalization, language, hashtags (pure functions)."""
