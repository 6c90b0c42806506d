package dev.emend.data;

import dev.emend.edit.EditRequest;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Edit requests read from one data file.
 *
 * @param file the file
 * @param format its format
 * @param name the data set's display name: KnowEdit's name where known (e.g. "ZsRE", "WikiBio"), else the file name
 *     without extension
 * @param requests the requests, in file order
 * @param records for each request, the index of the file record it came from (0-based; for Sanitation, the index in
 *     its forget list)
 * @param totalRecords the records in the file (for Sanitation, in its forget list)
 * @param skipped the records that gave no request, with the reason
 * @param droppedProbes locality and portability probes left out because their prompt or answer was missing or empty
 */
public record Dataset(Path file, DataFormat format, String name, List<EditRequest> requests, List<Integer> records,
        int totalRecords, List<Skipped> skipped, int droppedProbes) {

    /**
     * A record that gave no request.
     *
     * @param record its index in the file (0-based)
     * @param kind the reason's kind, for counting: "missing field", "subject not in prompt", "empty target", "invalid"
     * @param detail the particulars
     */
    public record Skipped(int record, String kind, String detail) {}

    /** Copies the lists and checks that requests and record indices pair up. */
    public Dataset {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        requests = List.copyOf(requests);
        records = List.copyOf(records);
        skipped = List.copyOf(skipped);
        if (requests.size() != records.size()) {
            throw new IllegalArgumentException("%d requests but %d record indices".formatted(requests.size(), records.size()));
        }
    }

    /** @return skipped records per {@link Skipped#kind()}, in first-seen order */
    public Map<String, Integer> skipCounts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        skipped.forEach(s -> out.merge(s.kind(), 1, Integer::sum));
        return Collections.unmodifiableMap(out);
    }

    /**
     * The first {@code n} requests.
     *
     * @param n how many to keep; 0 or negative keeps all
     * @return this data set cut to {@code n} requests (skips and counts unchanged)
     */
    public Dataset limit(int n) {
        if (n <= 0 || n >= requests.size()) {
            return this;
        }
        return new Dataset(file, format, name, requests.subList(0, n), records.subList(0, n), totalRecords, skipped,
                droppedProbes);
    }

    /** @return one line: "1301 requests from 1304 records; skipped 3 (subject not in prompt: 3)" */
    public String describe() {
        StringBuilder b = new StringBuilder("%d request%s from %d record%s of %s (%s)".formatted(requests.size(),
                requests.size() == 1 ? "" : "s", totalRecords, totalRecords == 1 ? "" : "s", file.getFileName(), format.cliName()));
        if (!skipped.isEmpty()) {
            b.append("; skipped ").append(skipped.size()).append(" (");
            boolean first = true;
            for (Map.Entry<String, Integer> e : skipCounts().entrySet()) {
                b.append(first ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
                first = false;
            }
            b.append(')');
        }
        if (droppedProbes > 0) {
            b.append("; dropped ").append(droppedProbes).append(" probe").append(droppedProbes == 1 ? "" : "s")
                    .append(" without prompt or answer");
        }
        return b.toString();
    }
}
