-- A turn's first write is one statement: its messages and its admission (store/postgres/PgTurnStore). The statement
-- refuses a turn by raising an error, which rolls back everything it wrote (messages and counters alike); the error's
-- SQLSTATE marks it as Parley's refusal and its detail names the counter that refused.
CREATE FUNCTION parley_refuse(reason text) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'turn refused' USING ERRCODE = 'PR429', DETAIL = reason;
END
$$;

-- Each subject that limits concurrent turns gets one more usage_in_flight row, instance '*': the sum of its live
-- processes' rows, so that the admission checks the limit with one guarded upsert (a sum over the rows would need a
-- statement of its own, and the month row's lock held across it). Admissions and settlements update it with their
-- own process's row; the housekeeping subtracts a process's rows from it when the process stops beating.
INSERT INTO usage_in_flight (id, subject_id, instance, turns)
SELECT gen_random_uuid(), f.subject_id, '*', sum(f.turns)
FROM usage_in_flight f JOIN heartbeats h ON h.instance = f.instance
WHERE h.beat_at >= now() - interval '30 seconds'
GROUP BY f.subject_id;
