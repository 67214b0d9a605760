package io.embedforge.pipeline.ingest;

/**
 * Provenance of one input file: enough to tell later whether a re-run read the same data.
 *
 * @param path file URI
 * @param bytes size in bytes
 * @param modified modification time, epoch milliseconds
 */
public record InputFileInfo(String path, long bytes, long modified) {}
