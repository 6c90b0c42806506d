package dev.emend.eval.general;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.data.DatasetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Readers for the local files of the general-capability probe. Every reader takes JSON Lines, a JSON array of records,
 * or (TriviaQA's rc files) one object; a malformed record fails with the file, the record's index (0-based, the line
 * for JSON Lines without blank lines) and what is wrong.
 *
 * <ul>
 *   <li>CommonsenseQA ({@code train_rand_split.jsonl} …): {@code {"id", "question": {"stem", "choices": [{"label",
 *       "text"}]}, "answerKey"}}; the answer is the choice whose label equals {@code answerKey}.
 *   <li>PIQA ({@code train.jsonl}/{@code valid.jsonl} with {@code train-labels.lst}/{@code valid-labels.lst}):
 *       {@code {"goal", "sol1", "sol2"}}; the label (0 for sol1, 1 for sol2) is the record's {@code label} field
 *       (as in the HF copy) or line i of a separate labels file. With a labels file its line count must equal the
 *       record count.
 *   <li>TriviaQA: the rc/unfiltered JSON {@code {"Data": [{"QuestionId", "Question", "Answer": {"Value", "Aliases",
 *       "NormalizedAliases"}}]}}, or JSON Lines {@code {"id"?, "question", "answers": [...]}}; the HF copy's
 *       {@code {"question", "answer": {"value", "aliases", "normalized_aliases"}}} is read too. The accepted answers are
 *       the value and all aliases, de-duplicated in that order.
 *   <li>XSum: {@code {"document", "summary", "id"}}.
 * </ul>
 */
public final class GeneralData {
    private GeneralData() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The multiple-choice file formats. */
    public enum McFormat {
        /** CommonsenseQA JSON Lines. */
        COMMONSENSEQA,
        /** PIQA JSON Lines (labels inline or in a separate file). */
        PIQA;

        /**
         * @param s "commonsenseqa" (or "csqa") or "piqa", any case
         * @return the format
         */
        public static McFormat parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
                case "commonsenseqa", "csqa" -> COMMONSENSEQA;
                case "piqa" -> PIQA;
                default -> throw new IllegalArgumentException("unknown multiple-choice format '%s'; use commonsenseqa or piqa"
                        .formatted(s));
            };
        }
    }

    /**
     * Reads a multiple-choice file, recognising its format from the first record if none is given.
     *
     * @param file the data file
     * @param format the format, or null to recognise it ({@code question.stem} → CommonsenseQA, {@code goal} → PIQA)
     * @param labels PIQA's labels file, or null for labels in the records
     * @return the questions in file order
     * @throws DatasetException on unreadable files or malformed records
     */
    public static List<MultipleChoice> multipleChoice(Path file, McFormat format, Path labels) {
        List<JsonNode> records = records(file);
        McFormat f = format != null ? format : detect(file, records);
        if (f == McFormat.COMMONSENSEQA && labels != null) {
            throw new DatasetException("a labels file is for PIQA; CommonsenseQA records carry their answerKey (" + file + ")");
        }
        return f == McFormat.COMMONSENSEQA ? commonsenseQa(file, records) : piqa(file, records, labels);
    }

    /**
     * @param file a multiple-choice file
     * @return its format, recognised from the first record's fields
     * @throws DatasetException if the file is empty or of neither format
     */
    public static McFormat detectFormat(Path file) {
        return detect(file, records(file));
    }

    /**
     * @param file a CommonsenseQA file
     * @return its questions
     */
    public static List<MultipleChoice> commonsenseQa(Path file) {
        return commonsenseQa(file, records(file));
    }

    /**
     * @param file a PIQA file
     * @param labels its labels file (one 0/1 per line), or null if each record has a {@code label}
     * @return its questions
     */
    public static List<MultipleChoice> piqa(Path file, Path labels) {
        return piqa(file, records(file), labels);
    }

    /**
     * @param file a TriviaQA rc JSON file or JSON Lines of {@code {"question", "answers"}}
     * @return its questions with all accepted answers
     */
    public static List<OpenQuestion> triviaQa(Path file) {
        List<JsonNode> records = records(file);
        if (records.size() == 1 && records.get(0).has("Data")) {
            JsonNode data = records.get(0).get("Data");
            if (!data.isArray()) {
                throw new DatasetException("%s: \"Data\" is not an array".formatted(file));
            }
            records = new ArrayList<>();
            data.forEach(records::add);
        }
        List<OpenQuestion> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = object(file, i, records.get(i));
            Set<String> answers = new LinkedHashSet<>();
            String question;
            String id;
            if (r.has("Question")) {                                                  // rc format
                question = text(file, i, r, "Question");
                id = r.hasNonNull("QuestionId") ? r.get("QuestionId").asText() : Integer.toString(i);
                JsonNode a = field(file, i, r, "Answer");
                addAnswers(file, i, a, answers, "Value", "Aliases", "NormalizedAliases");
            } else {
                question = text(file, i, r, "question");
                id = r.hasNonNull("id") ? r.get("id").asText() : r.hasNonNull("question_id") ? r.get("question_id").asText()
                        : Integer.toString(i);
                if (r.has("answers")) {
                    JsonNode a = r.get("answers");
                    if (!a.isArray()) {
                        throw bad(file, i, "\"answers\" is not an array of strings");
                    }
                    a.forEach(x -> answers.add(x.asText()));
                } else if (r.has("answer") && r.get("answer").isObject()) {              // HF copy
                    addAnswers(file, i, r.get("answer"), answers, "value", "aliases", "normalized_aliases");
                } else {
                    throw bad(file, i, "no \"answers\" array (or rc-format \"Question\"/\"Answer\")");
                }
            }
            answers.removeIf(String::isBlank);
            if (answers.isEmpty()) {
                throw bad(file, i, "no non-blank answer");
            }
            out.add(new OpenQuestion(id, question, List.copyOf(answers)));
        }
        return out;
    }

    /**
     * @param file an XSum JSON Lines file
     * @return its documents with their reference summaries
     */
    public static List<Document> xsum(Path file) {
        List<JsonNode> records = records(file);
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = object(file, i, records.get(i));
            String id = r.hasNonNull("id") ? r.get("id").asText() : Integer.toString(i);
            out.add(new Document(id, text(file, i, r, "document"), text(file, i, r, "summary")));
        }
        return out;
    }

    private static McFormat detect(Path file, List<JsonNode> records) {
        if (records.isEmpty()) {
            throw new DatasetException("%s has no records".formatted(file));
        }
        JsonNode r = records.get(0);
        if (r.path("question").isObject()) {
            return McFormat.COMMONSENSEQA;
        }
        if (r.has("goal")) {
            return McFormat.PIQA;
        }
        throw new DatasetException(("%s: record 0 is neither CommonsenseQA ({\"question\": {\"stem\", \"choices\"}}) nor PIQA "
                + "({\"goal\", \"sol1\", \"sol2\"}); give --format").formatted(file));
    }

    private static List<MultipleChoice> commonsenseQa(Path file, List<JsonNode> records) {
        List<MultipleChoice> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = object(file, i, records.get(i));
            JsonNode q = field(file, i, r, "question");
            String stem = text(file, i, q, "stem");
            JsonNode choices = field(file, i, q, "choices");
            if (!choices.isArray() || choices.size() < 2) {
                throw bad(file, i, "\"question.choices\" must be an array of at least 2 {label, text}");
            }
            String key = text(file, i, r, "answerKey");
            List<String> options = new ArrayList<>();
            int answer = -1;
            for (JsonNode c : choices) {
                String label = text(file, i, c, "label");
                options.add(text(file, i, c, "text"));
                if (label.equals(key)) {
                    answer = options.size() - 1;
                }
            }
            if (answer < 0) {
                throw bad(file, i, "answerKey '%s' is not the label of any choice".formatted(key));
            }
            String id = r.hasNonNull("id") ? r.get("id").asText() : Integer.toString(i);
            out.add(new MultipleChoice(id, stem, options, answer));
        }
        return out;
    }

    private static List<MultipleChoice> piqa(Path file, List<JsonNode> records, Path labelsFile) {
        List<String> labels = null;
        if (labelsFile != null) {
            try {
                labels = Files.readAllLines(labelsFile).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            } catch (IOException e) {
                throw new DatasetException("cannot read %s: %s".formatted(labelsFile, e.getMessage()), e);
            }
            if (labels.size() != records.size()) {
                throw new DatasetException("%s has %d labels but %s has %d records".formatted(labelsFile, labels.size(), file,
                        records.size()));
            }
        }
        List<MultipleChoice> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = object(file, i, records.get(i));
            String label;
            if (labels != null) {
                label = labels.get(i);
            } else if (r.hasNonNull("label")) {
                label = r.get("label").asText();
            } else {
                throw bad(file, i, "no \"label\"; give the labels file (one 0/1 per line) with --labels");
            }
            if (!label.equals("0") && !label.equals("1")) {
                throw new DatasetException("%s record %d: label '%s' is not 0 or 1%s".formatted(file, i, label,
                        labels != null ? " (line %d of %s)".formatted(i + 1, labelsFile) : ""));
            }
            String id = r.hasNonNull("id") ? r.get("id").asText() : Integer.toString(i);
            out.add(new MultipleChoice(id, text(file, i, r, "goal"), List.of(text(file, i, r, "sol1"), text(file, i, r, "sol2")),
                    Integer.parseInt(label)));
        }
        return out;
    }

    private static void addAnswers(Path file, int i, JsonNode a, Set<String> answers, String value, String aliases,
            String normalized) {
        if (!a.isObject()) {
            throw bad(file, i, "the answer is not an object");
        }
        if (a.hasNonNull(value)) {
            answers.add(a.get(value).asText());
        }
        for (String k : List.of(aliases, normalized)) {
            JsonNode list = a.path(k);
            if (!list.isMissingNode() && !list.isArray()) {
                throw bad(file, i, "\"%s\" is not an array".formatted(k));
            }
            list.forEach(x -> answers.add(x.asText()));
        }
    }

    /** All records: the elements of a top-level array, else every top-level value (JSON Lines or one object). */
    static List<JsonNode> records(Path file) {
        List<JsonNode> roots = new ArrayList<>();
        try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNextValue()) {
                roots.add(it.nextValue());
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new DatasetException("%s is not JSON or JSON Lines: record %d%s: %s".formatted(file, roots.size(),
                    at == null ? "" : " (line %d, column %d)".formatted(at.getLineNr(), at.getColumnNr()),
                    e.getOriginalMessage().replaceAll("\\[Source: [^;]*; ", "[")), e);
        } catch (IOException e) {
            throw new DatasetException("cannot read %s: %s".formatted(file, e.getMessage()), e);
        }
        if (roots.size() == 1 && roots.get(0).isArray()) {
            List<JsonNode> out = new ArrayList<>();
            roots.get(0).forEach(out::add);
            return out;
        }
        return roots;
    }

    private static JsonNode object(Path file, int i, JsonNode r) {
        if (!r.isObject()) {
            throw bad(file, i, "not a JSON object");
        }
        return r;
    }

    private static JsonNode field(Path file, int i, JsonNode r, String name) {
        JsonNode v = r.get(name);
        if (v == null || v.isNull()) {
            throw bad(file, i, "missing \"%s\"".formatted(name));
        }
        return v;
    }

    private static String text(Path file, int i, JsonNode r, String name) {
        JsonNode v = field(file, i, r, name);
        if (!v.isValueNode()) {
            throw bad(file, i, "\"%s\" is not a string".formatted(name));
        }
        return v.asText();
    }

    private static DatasetException bad(Path file, int i, String what) {
        return new DatasetException("%s record %d: %s".formatted(file, i, what));
    }
}
