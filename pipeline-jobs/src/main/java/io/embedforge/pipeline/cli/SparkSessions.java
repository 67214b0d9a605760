package io.embedforge.pipeline.cli;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the one SparkSession of a CLI run. Under {@code spark-submit} the master and resources
 * come from there; run from {@code bin/embedforge} it defaults to embedded {@code local[*]}. The
 * log levels are the log4j configuration's (the bundled one in embedded mode, the cluster's under
 * spark-submit: {@link ConsoleLogs}), never overridden globally.
 */
public final class SparkSessions {
    /** Sessions the commands of this JVM started. */
    private static final AtomicInteger CREATED = new AtomicInteger();

    private SparkSessions() {}

    public static SparkSession create(String appName, String master) {
        CREATED.incrementAndGet();
        ConsoleLogs.quietExpectedWarnings();
        return SparkSession.builder().config(conf(appName, master)).getOrCreate();
    }

    /**
     * How many sessions the commands of this JVM started: the tests check with it that a bad input
     * or a held lock stops a command before Spark.
     */
    static int created() {
        return CREATED.get();
    }

    /**
     * The Hadoop configuration the session would have ({@code spark.hadoop.*} settings included),
     * without starting Spark: what plans and dry runs read committed outputs and inputs with.
     */
    public static Configuration hadoopConfiguration(String appName, String master) {
        return SparkHadoopUtil.get().newConfiguration(conf(appName, master));
    }

    static SparkConf conf(String appName, String master) {
        SparkConf conf = new SparkConf(true).setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            // Embedded runs read modest data on few cores: 200 shuffle partitions would be mostly
            // empty tasks. Clusters keep Spark's default (and AQE) unless configured.
            conf.setIfMissing(
                    "spark.sql.shuffle.partitions",
                    String.valueOf(4 * Runtime.getRuntime().availableProcessors()));
        }
        conf.setIfMissing("spark.sql.session.timeZone", "UTC");
        // Spark's console progress bar (stage, tasks done / total, redrawn with \r on stderr) only
        // for a person at a terminal: in a file or a scheduler's log it is noise.
        conf.setIfMissing(
                "spark.ui.showConsoleProgress", String.valueOf(ConsoleLogs.interactive()));
        return conf;
    }
}
