"""Scale-out: Celery workers and a schedule in the database.

`akhbar run` stays the single-process default. With a broker
(AKHBAR_BROKER_URL, redis:// or amqp://) and PostgreSQL, `akhbar beat`
claims due sources (a lease in the database) and queues a poll for each;
`akhbar worker` processes poll feeds and fetch, extract, analyse and store
articles. See docs/deploy.md.
"""
