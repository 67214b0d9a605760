package io.embedforge.pipeline.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-derived ids: the first 128 bits of SHA-256 over the parts, each part length-prefixed so
 * that ("ab", "c") and ("a", "bc") differ. The same source and content give the same id on every
 * run, JVM and partitioning, which is what makes re-runs and joins between stages reproducible.
 *
 * <p>Runs on executors; stateless and thread-safe.
 */
public final class StableIds {
    private static final HexFormat HEX = HexFormat.of();
    private static final int ID_BYTES = 16;

    private StableIds() {}

    /** A 32-hex-character id of the given parts; a null part hashes differently from "". */
    public static String of(String... parts) {
        MessageDigest digest = sha256();
        for (String part : parts) {
            if (part == null) {
                digest.update((byte) 0xFF);
                continue;
            }
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            digest.update(intBytes(bytes.length));
            digest.update(bytes);
        }
        byte[] hash = digest.digest();
        return HEX.formatHex(hash, 0, ID_BYTES);
    }

    private static byte[] intBytes(int value) {
        return new byte[] {
            (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
        };
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
