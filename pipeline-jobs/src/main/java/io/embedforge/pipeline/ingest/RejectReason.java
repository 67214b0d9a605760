package io.embedforge.pipeline.ingest;

import java.util.Locale;

/**
 * Why a record was not used. The codes are a public contract (reject rows, manifest, report), so
 * they are lower snake case and never renamed. Documented in {@code docs/config.md}.
 */
public enum RejectReason {
    MALFORMED_RECORD,
    TRUNCATED_INPUT,
    INVALID_UTF8,
    MISSING_FIELD,
    WRONG_TYPE,
    CONTROL_CHARACTERS,
    EMPTY_TEXT,
    SCORE_NAN,
    SCORE_OUT_OF_RANGE,
    DUPLICATE_ID,
    DANGLING_QUERY_ID,
    DANGLING_DOC_ID,
    UNKNOWN_LABEL,
    FILTERED;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
