"""The archive on an OpenSearch cluster: the same ``search`` commands past one machine.

Articles are read, cleaned and annotated by the same code as a local build
(:mod:`index`), then pushed with the bulk API (:mod:`cluster.push`). Each
document carries our own analysed terms beside its text, so a query means on
the cluster exactly what it means locally: the query language's tree
(:mod:`search.grammar`) is translated to the query DSL on those terms
(:mod:`cluster.translate`), and :class:`cluster.engine.ClusterEngine` answers
with the read side's plain types. ``node/`` holds the small Java launcher that
starts real OpenSearch nodes from Maven Central's jars, for the tests.
"""
