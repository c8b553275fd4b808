-- The index of finished jobs (pruning, dead-letter lists) holds finished jobs only. Over every
-- job it took an entry at each enqueue and each claim that nothing reads: a claim's new row
-- version needs one in every index whose predicate it meets.
DROP INDEX seamline_jobs_finished;
CREATE INDEX seamline_jobs_finished ON seamline_jobs (state, finished_at)
  WHERE state IN ('completed', 'dead');
