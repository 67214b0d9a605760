package io.embedforge.pipeline.stage;

import java.io.Serializable;

/**
 * The settings of a stage that has none of its own under {@code stages.<name>} (ingest reads the
 * profile's sources). Binding any key to it fails, naming the key.
 */
public record NoParams() implements Serializable {}
