package io.embedforge.train.data;

/** A training Parquet file or row violates the blend contract; the message names file and row. */
public final class ContractException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the file, row and value
     */
    public ContractException(String message) {
        super(message);
    }
}
