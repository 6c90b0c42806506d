package dev.emend.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The data-file formats {@link DatasetReader} maps to edit requests (easyedit-reference §3). Each has a name for
 * {@code --format} and is recognised by its field names.
 */
public enum DataFormat {
    /**
     * KnowEdit's factual sets, WikiData_recent, ZsRE and WikiData_counterfact (JSON array or JSON Lines), and any file
     * in EasyEdit's request vocabulary, such as the bundled fact-world benchmarks: {@code subject, prompt, target_new,
     * ground_truth?, rephrase_prompt?, locality?, portability?}.
     */
    KNOWEDIT("knowedit", "KnowEdit (WikiData_recent, ZsRE, WikiData_counterfact) and EasyEdit request files"),
    /** KnowEdit WikiBio: {@code text, labels, concept, locality}. */
    WIKIBIO("wikibio", "KnowEdit WikiBio"),
    /** KnowEdit ConvSent ({@code blender_*.json}): {@code ent, pos[], neg[]}. */
    CONVSENT("convsent", "KnowEdit ConvSent"),
    /** KnowEdit Sanitation ({@code trivia_qa_*.json}): {@code {K_F: [...], K_R: [...]}} or {@code {success, locality}}. */
    SANITATION("sanitation", "KnowEdit Sanitation"),
    /** EasyEdit's {@code counterfact-edit.json}: {@code prompt, subject, target_new, ground_truth, rephrase_prompt, locality_prompt, locality_ground_truth}. */
    COUNTERFACT("counterfact", "EasyEdit CounterFact (counterfact-edit.json)"),
    /** The MEND zsRE split ({@code zsre_mend_*.json}): {@code subject, src, alt, answers, rephrase, loc, loc_ans}. */
    ZSRE_MEND("zsre-mend", "zsRE, MEND split"),
    /** ROME's CounterFact ({@code counterfact.json}, MEMIT's {@code multi_counterfact.json}): {@code requested_rewrite, ...}. */
    ROME_COUNTERFACT("rome-counterfact", "ROME CounterFact");

    private final String cliName;
    private final String description;

    DataFormat(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    /** @return the name used by {@code --format}, e.g. "zsre-mend" */
    public String cliName() {
        return cliName;
    }

    /** @return a human description */
    public String description() {
        return description;
    }

    /**
     * @param name a {@link #cliName()} (case-insensitive) or enum constant name
     * @return the format
     * @throws IllegalArgumentException listing the names if unknown
     */
    public static DataFormat parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (DataFormat f : values()) {
            if (f.cliName.equals(n) || f.name().toLowerCase(Locale.ROOT).equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown data format '%s'; known: %s".formatted(name, names()));
    }

    /** @return the {@code --format} names, comma-separated */
    public static String names() {
        return Arrays.stream(values()).map(DataFormat::cliName).collect(Collectors.joining(", "));
    }

    /**
     * Recognises a record-list format by the fields of one record.
     *
     * @param record a JSON object from the file
     * @return the format, if the fields identify one
     */
    static Optional<DataFormat> detectRecord(JsonNode record) {
        if (record == null || !record.isObject()) {
            return Optional.empty();
        }
        if (record.has("requested_rewrite")) {
            return Optional.of(ROME_COUNTERFACT);
        }
        if (record.has("src") && record.has("alt")) {
            return Optional.of(ZSRE_MEND);
        }
        if (record.has("ent") && (record.has("pos") || record.has("neg"))) {
            return Optional.of(CONVSENT);
        }
        if (record.has("concept") && record.has("text") && record.has("labels")) {
            return Optional.of(WIKIBIO);
        }
        if (record.has("locality_prompt") || record.has("locality_ground_truth")) {
            return Optional.of(COUNTERFACT);
        }
        if (record.has("prompt") && record.has("target_new")) {
            return Optional.of(KNOWEDIT);
        }
        return Optional.empty();
    }

    /**
     * Recognises a format whose file is one JSON object rather than a list of records.
     *
     * @param root the file's single top-level object
     * @return the format, if the keys identify one
     */
    static Optional<DataFormat> detectObject(JsonNode root) {
        if (root.isObject() && (root.has("K_F") || root.has("K_R") || (root.has("success") && root.get("success").isArray()))) {
            return Optional.of(SANITATION);
        }
        return Optional.empty();
    }
}
