package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.ingest.IngestReport;
import java.io.PrintStream;
import java.util.Locale;

/** The table of counts {@code ingest} prints: one line per source and input. */
final class IngestSummary {
    private IngestSummary() {}

    static void print(IngestReport report, PrintStream out) {
        out.printf(
                Locale.ROOT,
                "%-28s %-9s %-15s %8s %8s %8s %8s  %s%n",
                "source",
                "input",
                "table",
                "read",
                "written",
                "rejected",
                "dups",
                "reject reasons");
        long read = 0;
        long written = 0;
        long rejected = 0;
        long dups = 0;
        for (IngestReport.SourceCounts s : report.sources()) {
            for (IngestReport.RoleCounts r : s.inputs()) {
                out.printf(
                        Locale.ROOT,
                        "%-28s %-9s %-15s %8d %8d %8d %8d  %s%n",
                        s.source(),
                        r.role(),
                        r.table(),
                        r.read(),
                        r.written(),
                        r.rejected(),
                        r.duplicates(),
                        r.rejects().isEmpty() ? "" : r.rejects());
                read += r.read();
                written += r.written();
                rejected += r.rejected();
                dups += r.duplicates();
            }
        }
        out.printf(
                Locale.ROOT,
                "%-28s %-9s %-15s %8d %8d %8d %8d%n",
                "total",
                "",
                "",
                read,
                written,
                rejected,
                dups);
    }
}
