/**
 * The queries run often during a case (rootlet map refresh, replay scrubbing). Kept here by name so the
 * repositories and the test asserting their index use (EXPLAIN QUERY PLAN) share the exact SQL.
 */
export const HOT_QUERIES = {
  rootletsOfCase: 'SELECT * FROM rootlets WHERE case_id = ? ORDER BY level, side, rootlet_index',
  stimulationsOfRootlet: 'SELECT * FROM stimulations WHERE rootlet_id = ? ORDER BY onset_sample',
  // chunks never overlap, so the first chunk that can cover `from` is the last one starting at or before it
  rawChunksInRange: `SELECT start_sample, sample_count, channel_count, encoding, scales, data
      FROM raw_chunks WHERE session_id = @session
        AND start_sample >= COALESCE((SELECT MAX(start_sample) FROM raw_chunks WHERE session_id = @session AND start_sample <= @from), 0)
        AND start_sample < @to
      ORDER BY start_sample`,
  currentDecisionsOfCase: `SELECT d.*, r.level, r.side, r.rootlet_index,
        (SELECT a.id FROM audit_log a WHERE a.entity = 'decision' AND a.entity_id = CAST(d.id AS TEXT)) AS audit_id
      FROM rootlets r JOIN decisions d ON d.id = (SELECT MAX(id) FROM decisions WHERE rootlet_id = r.id)
      WHERE r.case_id = ? ORDER BY r.level, r.side, r.rootlet_index`,
} as const;
