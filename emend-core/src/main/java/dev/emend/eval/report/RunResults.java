package dev.emend.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.EmendException;
import dev.emend.eval.EvalJson;
import dev.emend.eval.Summary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark results folder as a report reads it: what ran (from {@code run.json} and {@code summary.json}) and
 * every case of {@code cases.jsonl}. The summary is recomputed from the case lines, so a folder whose run was
 * interrupted is reported over the cases it finished ({@link #complete()} false).
 *
 * @param dir the folder
 * @param method the editing method
 * @param mode the mode ("single", "sequential", "sequential-eval-each", "batch")
 * @param batchSize cases per batch (batch mode), else 1
 * @param dataset the data set's name, e.g. "ZsRE"
 * @param modelLayers the model's layer count (0 if unknown)
 * @param requests the run's case count
 * @param cases the finished cases, by case id
 * @param summary their summary
 */
public record RunResults(Path dir, String method, String mode, int batchSize, String dataset, int modelLayers,
        int requests, List<Case> cases, Summary summary) {

    /**
     * One finished case.
     *
     * @param id its case id
     * @param targetNew the requested target
     * @param groundTruth the old target, or null
     * @param metrics its scores
     * @param error why the edit failed, or null
     * @param updateNorms ‖Δ‖ per parameter of its edit (of its batch in batch mode); empty if it failed
     * @param rewriteAnswer the generated answer to the edit prompt after the edit, or null without {@code --generation}
     */
    public record Case(int id, String targetNew, String groundTruth, Summary.CaseMetrics metrics, String error,
            Map<String, Double> updateNorms, String rewriteAnswer) {}

    /** Copies the list. */
    public RunResults {
        cases = List.copyOf(cases);
    }

    /** @return true if every case of the run is in {@code cases.jsonl} */
    public boolean complete() {
        return cases.size() == requests;
    }

    /** @return true if the run scored fluency */
    public boolean hasFluency() {
        return summary.post().fluency() != null;
    }

    /** @return true if the run used the generation protocol */
    public boolean hasGeneration() {
        return cases.stream().anyMatch(c -> c.rewriteAnswer() != null);
    }

    /** @return "ROME", "ROME (sequential)", "MEMIT (batch 100)" */
    public String label() {
        return switch (mode) {
            case "single" -> method;
            case "batch" -> "%s (batch %d)".formatted(method, batchSize);
            default -> "%s (%s)".formatted(method, mode);
        };
    }

    /**
     * Reads a results folder.
     *
     * @param dir a folder written by {@code emend bench}
     * @return its results
     * @throws EmendException if it has no {@code cases.jsonl} or a line is not JSON
     */
    public static RunResults read(Path dir) {
        Path casesFile = dir.resolve("cases.jsonl");
        if (!Files.isRegularFile(casesFile)) {
            throw new EmendException("%s has no cases.jsonl; give folders written by emend bench --out".formatted(dir));
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode run = readOptional(json, dir.resolve("run.json"));
        JsonNode summary = readOptional(json, dir.resolve("summary.json"));
        List<Case> cases = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(casesFile, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                JsonNode c;
                try {
                    c = json.readTree(lines.get(i));
                } catch (IOException e) {
                    throw new EmendException("line %d of %s is not JSON: %s".formatted(i + 1, casesFile, e.getMessage()), e);
                }
                cases.add(toCase(c));
            }
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s".formatted(casesFile, e.getMessage()), e);
        }
        cases.sort((a, b) -> Integer.compare(a.id(), b.id()));
        JsonNode config = run.path("config");
        String method = text(summary, "method", text(config, "method", "?"));
        String mode = text(summary, "mode", text(config, "mode", "single"));
        int batch = config.path("batch_size").asInt(1);
        String dataset = text(summary, "dataset", text(run.path("info"), "dataset", dir.getFileName().toString()));
        int requests = run.path("info").path("requests").asInt(cases.size());
        int layers = summary.path("model_layers").asInt(0);
        for (Case c : cases) {
            for (String p : c.updateNorms().keySet()) {
                layers = Math.max(layers, ParamName.parse(p).layer() + 1);
            }
        }
        Summary s = Summary.ofMetrics(cases.stream().map(Case::metrics).toList());
        return new RunResults(dir, method, mode, batch, dataset, layers, requests, cases, s);
    }

    private static Case toCase(JsonNode c) {
        Map<String, Double> norms = new LinkedHashMap<>();
        c.path("update_norms").properties().forEach(e -> norms.put(e.getKey(), e.getValue().asDouble()));
        JsonNode rw = c.path("requested_rewrite");
        JsonNode answer = c.path("post").path("generation").path("rewrite").path(0).path("answer");
        return new Case(c.path("case_id").asInt(), rw.path("target_new").asText(),
                rw.hasNonNull("ground_truth") ? rw.get("ground_truth").asText() : null, EvalJson.readCase(c),
                c.hasNonNull("error") ? c.get("error").asText() : null, Collections.unmodifiableMap(norms),
                answer.isTextual() ? answer.asText() : null);
    }

    private static JsonNode readOptional(ObjectMapper json, Path file) {
        if (!Files.isRegularFile(file)) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(file.toFile());
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    private static String text(JsonNode o, String key, String fallback) {
        JsonNode v = o.get(key);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    /**
     * A parameter name split at its layer index: {@code transformer.h.2.mlp.c_proj.weight} → layer 2, module
     * {@code mlp.c_proj}.
     *
     * @param layer the first integer component, or -1 if there is none
     * @param module the part after it, without {@code .weight}
     */
    public record ParamName(int layer, String module) {
        /** @param name a parameter name @return its layer and module */
        public static ParamName parse(String name) {
            String[] parts = name.split("\\.");
            for (int i = 0; i < parts.length; i++) {
                if (!parts[i].isEmpty() && parts[i].chars().allMatch(Character::isDigit)) {
                    String module = String.join(".", java.util.Arrays.copyOfRange(parts, i + 1, parts.length));
                    return new ParamName(Integer.parseInt(parts[i]), strip(module.isEmpty() ? name : module));
                }
            }
            return new ParamName(-1, strip(name));
        }

        private static String strip(String s) {
            return s.endsWith(".weight") ? s.substring(0, s.length() - ".weight".length()) : s;
        }
    }
}
