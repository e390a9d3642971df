"""The recommendation queries (Cypher, parameters only).

Every query returns ``title`` as a map of the fields a card needs, a ``score`` and the
material for its reasons. Bounds keep a query's work independent of the graph's size: the
user's ``$history`` most recent watches, ``$fanout`` co-watchers per title, the
``$neighbours`` closest users and their ``$per_neighbour`` latest watches (the "not watched
by you" check runs once per distinct candidate, after grouping), ``$per_feature``
candidates per favourite feature.
"""

from __future__ import annotations

from typing import LiteralString

TITLE_FIELDS: LiteralString = (
    "{.id, .name, .kind, .year, .poster_path, .popularity, .playable}")

#: Because you watched ...: the SIMILAR weights (``similarity_job``) from your
#: ``$similar_history`` most recent liked watches (completed or past half, as the job learns
#: from: a title given up early says nothing you liked) summed per title, titles you watched
#: (liked or not) left out.
#: No recency decay: an old history counts as much as a recent one (the SIMILAR model is
#: what carries taste). The reason is the watch whose edge weighed most, found by that
#: weight in the ``similar_weight`` index (so popular titles' many incoming edges are not
#: scanned) among the titles you watched (an equal weight from elsewhere is no reason).
#: Watched titles score high, so the best ``$limit_plus_watched`` (= $limit + your watch
#: count) are kept before the "not watched" check, which then runs on those only.
BECAUSE_WATCHED: LiteralString = """
MATCH (me:User {id: $user})-[mine:WATCHED]->(seen:Title)
WHERE mine.completed = true OR mine.progress >= 0.5
WITH me, seen ORDER BY mine.last_ts DESC LIMIT $similar_history
MATCH (seen)-[s:SIMILAR]->(rec:Title)
WITH me, rec, sum(s.w) AS score, max(s.w) AS best
WHERE score > 0
ORDER BY score DESC LIMIT $limit_plus_watched
WITH me, rec, score, best WHERE NOT (me)-[:WATCHED]->(rec)
WITH me, rec, score, best LIMIT $limit
CALL (me, rec, best) {
  MATCH (because:Title)-[s:SIMILAR]->(rec)
  USING INDEX s:SIMILAR(w)
  WHERE s.w = best AND (me)-[:WATCHED]->(because)
  RETURN because LIMIT 1
}
RETURN rec """ + TITLE_FIELDS + """ AS title, score, best, because {.id, .name} AS because
ORDER BY score DESC
"""

#: The SIMILAR edges of the titles you rated up and never watched here (``$liked``, the
#: newest of them): each counts as a liked watch would (``rated.apply_thumbs``); titles you
#: watched are left out. Run only for viewers with thumbs up.
LIKED_SIMILAR: LiteralString = """
UNWIND $liked AS id
MATCH (t:Title {id: id})
WHERE NOT EXISTS { MATCH (:User {id: $user})-[:WATCHED]->(t) }
MATCH (t)-[s:SIMILAR]->(rec:Title)
WHERE NOT EXISTS { MATCH (:User {id: $user})-[:WATCHED]->(rec) }
RETURN t {.id, .name} AS source, rec """ + TITLE_FIELDS + """ AS title, s.w AS w
"""

#: How much each candidate (``$candidates``) is like the titles you rated down
#: (``$disliked``, the newest of them): their SIMILAR weights to it, summed. Run only for
#: viewers with thumbs down.
DISLIKED_SIMILAR: LiteralString = """
UNWIND $disliked AS id
MATCH (:Title {id: id})-[s:SIMILAR]->(rec:Title)
WHERE rec.id IN $candidates
RETURN rec.id AS id, sum(s.w) AS w
"""

#: People who watched what you watched also watched ...: neighbours weighted by overlap,
#: their watches by recency (exp(-age / $tau_s)); the reason is the title of yours that most
#: of the contributing neighbours share.
COLLABORATIVE: LiteralString = """
MATCH (me:User {id: $user})-[mine:WATCHED]->(seen:Title)
WITH me, seen ORDER BY mine.last_ts DESC LIMIT $history
CALL (me, seen) {
  MATCH (seen)<-[:WATCHED]-(other:User)
  WHERE other <> me
  RETURN other LIMIT $fanout
}
WITH me, other, count(*) AS overlap, collect(seen)[..3] AS shared
ORDER BY overlap DESC LIMIT $neighbours
CALL (other) {
  MATCH (other)-[theirs:WATCHED]->(rec:Title)
  RETURN rec, theirs.last_ts AS at ORDER BY at DESC LIMIT $per_neighbour
}
WITH me, rec, sum(overlap * exp(-($now - coalesce(at, $now)) / $tau_s)) AS score,
     collect(shared) AS via
WHERE NOT (me)-[:WATCHED]->(rec)
ORDER BY score DESC LIMIT $limit
UNWIND via AS titles
UNWIND titles AS because
WITH rec, score, because, count(*) AS votes
ORDER BY score DESC, votes DESC
WITH rec, score, collect(because)[0] AS because
RETURN rec """ + TITLE_FIELDS + """ AS title, score,
       because {.id, .name} AS because
ORDER BY score DESC
"""

#: Titles sharing the genres, directors and actors you favour, weighted
#: $w_genre / $w_director / $w_actor times your affinity (how much of your history has it).
CONTENT: LiteralString = """
MATCH (me:User {id: $user})-[mine:WATCHED]->(seen:Title)
WITH me, seen, CASE WHEN mine.completed THEN 1.0 ELSE 0.5 END AS liked
ORDER BY mine.last_ts DESC LIMIT $history
CALL (seen, liked) {
  MATCH (seen)-[:IN_GENRE]->(f:Genre) RETURN f, 'genre' AS kind, liked AS w
  UNION
  MATCH (seen)<-[:DIRECTED]-(f:Person) RETURN f, 'director' AS kind, liked AS w
  UNION
  MATCH (seen)<-[:ACTED_IN]-(f:Person) RETURN f, 'actor' AS kind, liked AS w
}
WITH me, f, kind, sum(w) AS affinity
ORDER BY affinity DESC
WITH me, kind, collect({f: f, affinity: affinity})[..$top_features] AS favourites
UNWIND favourites AS favourite
WITH me, kind, favourite.f AS f, favourite.affinity AS affinity,
     CASE kind WHEN 'genre' THEN $w_genre WHEN 'director' THEN $w_director
               ELSE $w_actor END AS weight
CALL (f, kind) {
  MATCH (f)-[:IN_GENRE|DIRECTED|ACTED_IN]-(rec:Title)
  RETURN rec ORDER BY rec.popularity DESC LIMIT $per_feature
}
WITH me, rec, kind, f, weight * affinity AS part
WHERE NOT (me)-[:WATCHED]->(rec)
ORDER BY part DESC
WITH rec, sum(part) AS score, collect({kind: kind, name: f.name})[..2] AS because
ORDER BY score DESC LIMIT $limit
RETURN rec """ + TITLE_FIELDS + """ AS title, score, because
"""

#: The most popular titles you have not watched (the cold-start blend).
POPULAR: LiteralString = """
MATCH (t:Title)
WHERE t.popularity IS NOT NULL
  AND NOT EXISTS { MATCH (:User {id: $user})-[:WATCHED]->(t) }
RETURN t """ + TITLE_FIELDS + """ AS title, t.popularity AS score
ORDER BY t.popularity DESC LIMIT $limit
"""

#: How many titles the user has watched (decides the popularity blend).
HISTORY_SIZE: LiteralString = """
OPTIONAL MATCH (me:User {id: $user})-[w:WATCHED]->(:Title)
RETURN count(w) AS watched
"""

#: Titles sharing genres and people with this one, by Jaccard similarity of those sets.
SIMILAR: LiteralString = """
MATCH (t:Title {id: $id})
MATCH (t)-[:IN_GENRE|DIRECTED|ACTED_IN]-(f)-[:IN_GENRE|DIRECTED|ACTED_IN]-(other:Title)
WHERE other <> t
WITH t, other, count(DISTINCT f) AS shared, collect(DISTINCT f)[..3] AS common
WITH t, other, shared, common,
     COUNT { (t)-[:IN_GENRE|DIRECTED|ACTED_IN]-() } AS mine,
     COUNT { (other)-[:IN_GENRE|DIRECTED|ACTED_IN]-() } AS theirs
WITH other, common, toFloat(shared) / (mine + theirs - shared) AS jaccard
ORDER BY jaccard DESC, other.popularity DESC LIMIT $limit
RETURN other """ + TITLE_FIELDS + """ AS title, jaccard AS score,
       [x IN common | {kind: CASE WHEN x:Genre THEN 'genre' ELSE 'person' END,
                       name: x.name}] AS because
"""

TITLE_EXISTS: LiteralString = "MATCH (t:Title {id: $id}) RETURN t.id AS id"
