package dev.emend.edit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.EmendException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One factual rewrite in EasyEdit's request vocabulary: in {@code prompt}, {@code subject} should now lead to
 * {@code targetNew}. The prompt is either filled ("Bouvmere is a city in", containing the subject) or a template with
 * one {@code {}} where the subject goes ("{} is a city in"). The evaluation extras (rephrasings, locality and
 * portability probes) travel with the request but editors read only the core fields.
 *
 * @param prompt the prompt, filled or with one {@code {}}
 * @param subject the subject; occurs in a filled prompt
 * @param targetNew the new object (EasyEdit {@code target_new}), without a leading space
 * @param groundTruth the current object (EasyEdit {@code ground_truth}), or null if unknown
 * @param rephrasePrompts paraphrases of the prompt (EasyEdit {@code rephrase_prompt}); may be empty
 * @param locality probes that should not change, by kind (e.g. "Relation_Specificity"); may be empty
 * @param portability probes that should follow the edit, by kind (e.g. "Subject_Aliasing"); may be empty
 * @param protocol the data set's own scoring (ConvSent's sentiment metric, Sanitation's erasure scoring), or null
 *     for none
 */
public record EditRequest(String prompt, String subject, String targetNew, String groundTruth,
        List<String> rephrasePrompts, Map<String, List<Probe>> locality, Map<String, List<Probe>> portability,
        EvalProtocol protocol) {

    /**
     * A probe prompt with its expected answer.
     *
     * @param prompt the prompt
     * @param groundTruth the expected answer (for locality: only the teacher-forcing context, EasyEdit §2.3)
     */
    public record Probe(String prompt, String groundTruth) {
        /** Requires both parts. */
        public Probe {
            requireText(prompt, "probe prompt");
            requireText(groundTruth, "probe ground_truth");
        }
    }

    /** Validates the core fields and copies the extras. */
    public EditRequest {
        requireText(prompt, "prompt");
        requireText(subject, "subject");
        requireText(targetNew, "target_new");
        if (subject.isBlank() || targetNew.isBlank()) {
            throw new IllegalArgumentException("subject and target_new must not be blank (got '%s', '%s')"
                    .formatted(subject, targetNew));
        }
        int holes = count(prompt, "{}");
        if (holes > 1) {
            throw new IllegalArgumentException("prompt '%s' has %d '{}' placeholders; use one, where the subject goes"
                    .formatted(prompt, holes));
        }
        if (holes == 0 && !prompt.contains(subject)) {
            throw new IllegalArgumentException("subject '%s' does not occur in prompt '%s'; write the prompt with the subject in it, or with {} where it goes"
                    .formatted(subject, prompt));
        }
        if (groundTruth != null && groundTruth.isBlank()) {
            groundTruth = null;
        }
        rephrasePrompts = rephrasePrompts == null ? List.of() : List.copyOf(rephrasePrompts);
        locality = copy(locality);
        portability = copy(portability);
    }

    /**
     * A request without a data-set protocol.
     *
     * @param prompt filled prompt or template with {@code {}}
     * @param subject the subject
     * @param targetNew the new object
     * @param groundTruth the current object, or null
     * @param rephrasePrompts paraphrases of the prompt
     * @param locality locality probes by kind
     * @param portability portability probes by kind
     */
    public EditRequest(String prompt, String subject, String targetNew, String groundTruth, List<String> rephrasePrompts,
            Map<String, List<Probe>> locality, Map<String, List<Probe>> portability) {
        this(prompt, subject, targetNew, groundTruth, rephrasePrompts, locality, portability, null);
    }

    /**
     * A request with only the core fields.
     *
     * @param prompt filled prompt or template with {@code {}}
     * @param subject the subject
     * @param targetNew the new object
     * @return the request
     */
    public static EditRequest of(String prompt, String subject, String targetNew) {
        return new EditRequest(prompt, subject, targetNew, null, List.of(), Map.of(), Map.of());
    }

    /** @param truth the current object @return a copy with {@code ground_truth} set */
    public EditRequest withGroundTruth(String truth) {
        return new EditRequest(prompt, subject, targetNew, truth, rephrasePrompts, locality, portability, protocol);
    }

    /** @param p the data set's own scoring, or null @return a copy with it */
    public EditRequest withProtocol(EvalProtocol p) {
        return new EditRequest(prompt, subject, targetNew, groundTruth, rephrasePrompts, locality, portability, p);
    }

    /** @return the current object, if known */
    public Optional<String> knownTarget() {
        return Optional.ofNullable(groundTruth);
    }

    /**
     * The prompt as a template: the first occurrence of the subject replaced by {@code {}} (EasyEdit replaces the
     * subject substring; with a template prompt this is the prompt itself).
     *
     * @return e.g. "{} is a city in"
     */
    public String template() {
        if (prompt.contains("{}")) {
            return prompt;
        }
        int at = prompt.indexOf(subject);
        return prompt.substring(0, at) + "{}" + prompt.substring(at + subject.length());
    }

    /** @return the prompt with the subject filled in */
    public String filledPrompt() {
        return template().replace("{}", subject);
    }

    /**
     * Reads one request from EasyEdit or KnowEdit JSON: {@code prompt, subject, target_new, ground_truth,
     * rephrase_prompt, locality, portability}. Probes may be KnowEdit lists ({@code {kind: [{prompt, ground_truth}]}})
     * or EasyEdit dicts ({@code {kind: {prompt: str|list, ground_truth: str|list}}}); alias lists
     * ({@code [["a","b"]]}) are reduced to their first alias, as EasyEdit's KnowEdit runner does. Other fields
     * ({@code case_id}, {@code relation}, ...) are ignored.
     *
     * @param node a JSON object
     * @return the request
     * @throws IllegalArgumentException if a core field is missing or invalid
     */
    public static EditRequest fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("an edit request must be a JSON object, got " + node);
        }
        List<String> rephrase = new ArrayList<>();
        JsonNode r = node.get("rephrase_prompt");
        if (r != null && !r.isNull()) {
            if (r.isArray()) {
                r.forEach(x -> rephrase.add(x.asText()));
            } else {
                rephrase.add(r.asText());
            }
        }
        return new EditRequest(text(node, "prompt"), text(node, "subject"), text(node, "target_new"),
                firstText(node.get("ground_truth")), rephrase, probes(node.get("locality")), probes(node.get("portability")));
    }

    /**
     * Reads requests from a file: a JSON array of request objects (EasyEdit / KnowEdit data files), JSON Lines (one
     * object per line), or a single object. Each object is read by {@link #fromJson}.
     *
     * @param file the file
     * @return the requests in file order, at least one
     * @throws IllegalArgumentException if the file is not JSON, holds no request, or a request is invalid (the
     *     message names the request's position)
     * @throws EmendException if the file cannot be read
     */
    public static List<EditRequest> readAll(Path file) {
        List<JsonNode> roots = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new ObjectMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNextValue()) {
                roots.add(it.nextValue());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("%s is not JSON or JSON Lines (%s); give a JSON array of request objects "
                    .formatted(file, e.getOriginalMessage()) + "with prompt, subject and target_new, or one object per line", e);
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s; check that the file exists and is readable"
                    .formatted(file, e.getMessage()), e);
        }
        List<JsonNode> items = new ArrayList<>();
        if (roots.size() == 1 && roots.get(0).isArray()) {
            roots.get(0).forEach(items::add);
        } else {
            items.addAll(roots);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no edit request; give a JSON array of objects with prompt, "
                    + "subject and target_new");
        }
        List<EditRequest> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            try {
                out.add(fromJson(items.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("request %d of %s: %s".formatted(i + 1, file, e.getMessage()), e);
            }
        }
        return out;
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("edit request has no '%s': %s".formatted(key, abbreviate(node.toString())));
        }
        return firstText(v);
    }

    /** A string, or the first string of a (nested) list; null for null or empty lists. */
    private static String firstText(JsonNode v) {
        while (v != null && v.isArray()) {
            v = v.size() == 0 ? null : v.get(0);
        }
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Map<String, List<Probe>> probes(JsonNode node) {
        Map<String, List<Probe>> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        node.properties().forEach(e -> {
            List<Probe> list = new ArrayList<>();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                for (JsonNode p : v) {
                    add(list, p.get("prompt"), firstText(p.get("ground_truth")));
                }
            } else if (v.isObject()) {
                JsonNode ps = v.get("prompt");
                JsonNode gs = v.get("ground_truth");
                if (ps != null && ps.isArray()) {
                    for (int i = 0; i < ps.size(); i++) {
                        add(list, ps.get(i), gs != null && gs.isArray() ? firstText(gs.get(i)) : firstText(gs));
                    }
                } else {
                    add(list, ps, firstText(gs));
                }
            }
            if (!list.isEmpty()) {
                out.put(e.getKey(), list);
            }
        });
        return out;
    }

    private static void add(List<Probe> list, JsonNode prompt, String truth) {
        if (prompt != null && !prompt.isNull() && truth != null && !truth.isBlank()) {
            list.add(new Probe(prompt.asText(), truth));
        }
    }

    private static Map<String, List<Probe>> copy(Map<String, List<Probe>> m) {
        if (m == null) {
            return Map.of();
        }
        Map<String, List<Probe>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(Objects.requireNonNull(k), List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }

    private static void requireText(String s, String name) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException(name + " is required and must not be empty");
        }
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
