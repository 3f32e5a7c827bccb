"""hashtag aliases: kinds, scripts, transliteration keys, canonical links

Also recomputes every tag's key with the current hashtag_key (which now
folds a leading ال) and merges tags whose keys collide, so that the
articles of both land on one tag.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tags") as batch:
        batch.add_column(sa.Column("kind", sa.String(8)))
        batch.add_column(sa.Column("script", sa.String(8)))
        batch.add_column(sa.Column("translit", sa.String(64)))
        batch.add_column(sa.Column("translit_alt", sa.String(64)))
        batch.add_column(sa.Column("surname", sa.String(64)))
        batch.add_column(sa.Column("canonical_id", sa.Integer))
        batch.add_column(sa.Column("origin", sa.String(16)))
        batch.create_foreign_key("fk_tags_canonical_id_tags", "tags", ["canonical_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_tags_translit", ["translit"])
        batch.create_index("ix_tags_translit_alt", ["translit_alt"])
        batch.create_index("ix_tags_surname", ["surname"])
        batch.create_index("ix_tags_canonical_id", ["canonical_id"])
    op.create_index("ix_article_tags_published_at", "article_tags", ["published_at"])
    _rekey()


def _rekey() -> None:
    from akhbar.hashtags.canon import script_of, translit_keys
    from akhbar.text.hashtags import hashtag_key

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name, key FROM tags ORDER BY id")).all()
    first: dict[str, int] = {}
    for tag_id, name, key in rows:
        new = hashtag_key(name) or key
        kept, dropped = translit_keys(name)
        if new in first:
            keep = first[new]
            # the older tag wins; the younger one's articles move over to it
            conn.execute(
                sa.text(
                    "INSERT INTO article_tags (article_id, tag_id, published_at) "
                    "SELECT article_id, :keep, published_at FROM article_tags WHERE tag_id = :old "
                    "AND article_id NOT IN (SELECT article_id FROM article_tags WHERE tag_id = :keep)"
                ),
                {"keep": keep, "old": tag_id},
            )
            conn.execute(sa.text("DELETE FROM article_tags WHERE tag_id = :old"), {"old": tag_id})
            conn.execute(sa.text("DELETE FROM tags WHERE id = :old"), {"old": tag_id})
            continue
        first[new] = tag_id
        conn.execute(
            sa.text("UPDATE tags SET key = :k, script = :s, translit = :t, translit_alt = :ta WHERE id = :i"),
            {"k": "\x00" + str(tag_id), "s": script_of(name), "t": kept[:64], "ta": dropped[:64], "i": tag_id},
        )
    # two passes: temporary unique keys first, so a rename never collides
    for new, tag_id in first.items():
        conn.execute(sa.text("UPDATE tags SET key = :k WHERE id = :i"), {"k": new, "i": tag_id})


def downgrade() -> None:
    op.drop_index("ix_article_tags_published_at", "article_tags")
    with op.batch_alter_table("tags") as batch:
        batch.drop_index("ix_tags_canonical_id")
        batch.drop_index("ix_tags_surname")
        batch.drop_index("ix_tags_translit_alt")
        batch.drop_index("ix_tags_translit")
        batch.drop_constraint("fk_tags_canonical_id_tags", type_="foreignkey")
        for col in ("origin", "canonical_id", "surname", "translit_alt", "translit", "script", "kind"):
            batch.drop_column(col)
