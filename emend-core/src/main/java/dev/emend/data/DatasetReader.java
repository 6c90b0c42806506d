package dev.emend.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.EmendException;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditRequest.Probe;
import dev.emend.edit.EvalProtocol;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a knowledge-editing data file into {@link EditRequest}s (easyedit-reference §3). The file may be a JSON array
 * of records, JSON Lines, or (Sanitation) one object; its {@link DataFormat} is recognised from the first record's
 * fields unless given.
 *
 * <h2>Mapping, per format</h2>
 * <ul>
 *   <li>{@link DataFormat#KNOWEDIT} (WikiData_recent, ZsRE, WikiData_counterfact; EasyEdit request files):
 *       {@code prompt, subject, target_new, ground_truth, rephrase_prompt, locality, portability} as named. ZsRE's
 *       {@code cond} ("old >> new || prompt") has no slot and is dropped.
 *   <li>{@link DataFormat#WIKIBIO}: {@code text → prompt, concept → subject, labels → target_new}, as EasyEdit's
 *       {@code KnowEditDataset}; {@code locality} as named.
 *   <li>{@link DataFormat#COUNTERFACT} (EasyEdit's {@code counterfact-edit.json}): the core fields as named;
 *       {@code locality_prompt}/{@code locality_ground_truth} become locality key {@code neighborhood}. {@code case_id}
 *       is dropped (the record index is kept instead).
 *   <li>{@link DataFormat#ZSRE_MEND}: {@code src → prompt, alt → target_new, answers[0] → ground_truth,
 *       rephrase → rephrase_prompt, loc/loc_ans →} locality {@code neighborhood}, and in the portability variant
 *       {@code portability["New Question"/"New Answer"] →} portability {@code one_hop}, as EasyEdit's
 *       {@code ZsreDataset} and {@code run_zsre_llama2.py}. A record with an empty {@code alt} is skipped, as there.
 *       {@code cond} and {@code pred} are dropped.
 *   <li>{@link DataFormat#ROME_COUNTERFACT}: {@code requested_rewrite.{prompt ("{} …"), subject, target_new.str,
 *       target_true.str} →} the core fields, {@code paraphrase_prompts →} rephrase prompts,
 *       {@code neighborhood_prompts →} locality {@code neighborhood} (answer: the true target, which these prompts
 *       keep) and {@code attribute_prompts →} locality {@code attribute} (answer: the new target, which they already
 *       had). ROME scores these by comparing the two targets' probabilities; here they are scored as EasyEdit scores
 *       locality (pre/post argmax agreement). {@code generation_prompts} (ROME's generation and consistency test),
 *       token ids, {@code relation_id} and {@code pararel_idx} have no slot and are dropped.
 *   <li>{@link DataFormat#CONVSENT}: as EasyEdit's {@code run_convsent_llama2.py}: per topic ({@code ent}), in
 *       record order, a target sentiment and one of its 13 question templates are drawn; the prompt is "From the
 *       sentiment dataset, answer {question} postively." (EasyEdit's spelling, kept for parity) or "… negatively.",
 *       the subject is the topic and the target the first sentence of that sentiment. What EasyEdit's
 *       {@code compute_sent_metric} needs travels as an {@link EvalProtocol.Sentiment}: every sentence of the topic
 *       (target sentiment and other), and every sentence of the next topic (record i+1, the last wrapping to the
 *       first; positive, then negative), each after its own drawn question about its topic, as EasyEdit's
 *       {@code inner_all_qa}/{@code outer_all_qa}. The evaluator scores them as {@code es} and {@code dd}
 *       ({@link dev.emend.eval.metrics.SentimentMetric}); the request has no locality probes. The draws come from
 *       one {@link Random} seeded with {@link Options#seed()}, in EasyEdit's order (sentiment, prompt question, one
 *       question per topic sentence, one per next-topic sentence; EasyEdit's {@code inner_q}, used only for its
 *       fluency, is not drawn); they cannot match Python's {@code random.seed(0)} draws. Sentences are stripped of
 *       the file's surrounding spaces. A record without a sentence of either sentiment is skipped.
 *   <li>{@link DataFormat#SANITATION}: as EasyEdit's {@code run_santinization_llama2.py} for ROME/MEMIT: each forget
 *       record ({@code K_F}, or {@code success} in the test split) becomes the prompt "Question:{question}\nAnswer:"
 *       with its {@code subject}, {@code target_new} ("I don't know.") and {@code ground_truth}, and carries
 *       {@link EvalProtocol.Erasure} (10 greedy tokens, EasyEdit's answer length). The retain records ({@code K_R},
 *       or {@code locality}) become locality key {@code retain}, dealt round-robin (retain record j goes to forget
 *       record j mod #forget), so each is scored once. The evaluator scores Sanitation as EasyEdit does: a forget
 *       question counts as erased if the edited model's greedy answer contains "I don't know.", and a retain
 *       question by the share of the unedited model's greedy answer tokens the edited model repeats (the unedited
 *       answers come from the pre-edit pass and replace the TriviaQA answers as the reference, as EasyEdit's
 *       {@code cache_locality_before_editing}); the teacher-forced {@code retain} locality is reported too.
 *       EasyEdit scores all retain questions once, after all forget edits; here each after its own case's edit
 *       unless the run is sequential. {@code --specify_answer} (one answer group) has no counterpart; filter the
 *       file instead.
 * </ul>
 *
 * <h2>Answers, skips and errors</h2>
 * A field that is a list (KnowEdit's {@code ground_truth: ["a"]}, aliases as lists of lists
 * {@code [["USA", "U.S."], ["America"]]}) is reduced to its first string, as EasyEdit's KnowEdit runner does
 * ({@code while isinstance(an, list): an = an[0]}); the other aliases have no slot in {@link Probe}. A probe whose
 * prompt or answer is missing or empty is dropped and counted. A record is skipped and counted, with one warning per
 * file, if a required field is missing or empty, or its subject does not occur in its prompt (three ZsRE test records,
 * issue #495). A record of the wrong shape (not an object, a field that is an object where text belongs, a probe list
 * that is not a list) raises {@link DatasetException} naming the record's index.
 */
public final class DatasetReader {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetReader.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** EasyEdit's ConvSent question templates ({@code run_convsent_llama2.py}), in its order. */
    static final List<String> CONVSENT_TEMPLATES;

    static {
        List<String> t = new ArrayList<>(List.of("What do you think of {}?", "What do you feel about {}?", "How do you view {}?"));
        for (String position : List.of("opinion of", "stance on", "position on", "attitude about", "view on", "take on",
                "impression of", "assessment of", "judgment of", "sentiment of")) {
            t.add("What is your " + position + " {}?");
        }
        CONVSENT_TEMPLATES = List.copyOf(t);
    }

    /** EasyEdit's Sanitation prompt template ({@code Experimenter(template="Question:{}\nAnswer:")}). */
    static final String SANITATION_TEMPLATE = "Question:%s\nAnswer:";

    private DatasetReader() {}

    /**
     * Reading options.
     *
     * @param format the format, or null to recognise it from the content
     * @param seed seed of ConvSent's draws (target sentiment and question template); EasyEdit's is 0
     */
    public record Options(DataFormat format, long seed) {
        /** @return recognise the format; seed 0 */
        public static Options defaults() {
            return new Options(null, 0);
        }

        /** @param f the format, or null to detect @return a copy */
        public Options withFormat(DataFormat f) {
            return new Options(f, seed);
        }

        /** @param s ConvSent's seed @return a copy */
        public Options withSeed(long s) {
            return new Options(format, s);
        }
    }

    /**
     * Reads a file, recognising its format.
     *
     * @param file the data file
     * @return its requests
     * @throws DatasetException if the file is not JSON, its format is not recognised, or a record is malformed
     * @throws EmendException if the file cannot be read
     */
    public static Dataset read(Path file) {
        return read(file, Options.defaults());
    }

    /**
     * Reads a file.
     *
     * @param file the data file
     * @param options format (or detect) and seed
     * @return its requests
     * @throws DatasetException if the file is not JSON, its format is not recognised or does not fit, or a record is
     *     malformed (the message names its index)
     * @throws EmendException if the file cannot be read
     */
    public static Dataset read(Path file, Options options) {
        List<JsonNode> roots = roots(file);
        DataFormat format = options.format() != null ? options.format() : detect(file, roots);
        Mapper m = new Mapper(file, format);
        if (format == DataFormat.SANITATION) {
            m.sanitation(single(file, roots));
        } else {
            List<JsonNode> items = items(file, roots);
            for (int i = 0; i < items.size(); i++) {
                m.record(items, i, options.seed());
            }
        }
        Dataset d = m.build();
        if (!d.skipped().isEmpty()) {
            Dataset.Skipped first = d.skipped().get(0);
            LOG.warn("{}: skipped {} of {} records {}; first: record {}: {}", file.getFileName(), d.skipped().size(),
                    d.totalRecords(), d.skipCounts(), first.record(), first.detail());
        }
        return d;
    }

    /**
     * Recognises a file's format from its content.
     *
     * @param file the data file
     * @return the format
     * @throws DatasetException if no format fits
     */
    public static DataFormat detect(Path file) {
        return detect(file, roots(file));
    }

    private static DataFormat detect(Path file, List<JsonNode> roots) {
        if (roots.size() == 1 && roots.get(0).isObject()) {
            var f = DataFormat.detectObject(roots.get(0));
            if (f.isPresent()) {
                return f.get();
            }
        }
        List<JsonNode> items = items(file, roots);
        JsonNode first = items.stream().filter(JsonNode::isObject).findFirst().orElse(null);
        return DataFormat.detectRecord(first).orElseThrow(() -> new DatasetException(
                "cannot tell the format of %s from its first record (fields: %s); pass --format, one of %s".formatted(file,
                        first == null ? "none, no record is a JSON object" : fieldNames(first), DataFormat.names())));
    }

    /** The top-level JSON values: one for a JSON file, one per line for JSON Lines. */
    private static List<JsonNode> roots(Path file) {
        List<JsonNode> roots = new ArrayList<>();
        try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNextValue()) {
                roots.add(it.nextValue());
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new DatasetException("%s is not JSON or JSON Lines%s: %s".formatted(file,
                    at == null ? "" : " (line %d, column %d)".formatted(at.getLineNr(), at.getColumnNr()),
                    e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new EmendException("cannot read %s: %s; check that the file exists and is readable".formatted(file,
                    e.getMessage()), e);
        }
        if (roots.isEmpty()) {
            throw new DatasetException(file + " is empty; give a JSON array of records or one record per line");
        }
        return roots;
    }

    private static List<JsonNode> items(Path file, List<JsonNode> roots) {
        List<JsonNode> items = new ArrayList<>();
        if (roots.size() == 1 && roots.get(0).isArray()) {
            roots.get(0).forEach(items::add);
        } else {
            items.addAll(roots);
        }
        if (items.isEmpty()) {
            throw new DatasetException(file + " holds no record; give a JSON array of records or one record per line");
        }
        return items;
    }

    private static JsonNode single(Path file, List<JsonNode> roots) {
        if (roots.size() != 1 || !roots.get(0).isObject()) {
            throw new DatasetException("%s is not a Sanitation file: expected one JSON object {\"K_F\": [...], \"K_R\": [...]} "
                    .formatted(file) + "or {\"success\": [...], \"locality\": [...]}");
        }
        return roots.get(0);
    }

    private static String fieldNames(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return String.join(", ", names);
    }

    /** Why a record is skipped. */
    private static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String kind;

        Skip(String kind, String detail) {
            super(detail, null, false, false);
            this.kind = kind;
        }
    }

    /** What is wrong with a malformed record. */
    private static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String detail) {
            super(detail, null, false, false);
        }
    }

    /** Collects the requests of one file. */
    private static final class Mapper {
        final Path file;
        final DataFormat format;
        final List<EditRequest> requests = new ArrayList<>();
        final List<Integer> records = new ArrayList<>();
        final List<Dataset.Skipped> skipped = new ArrayList<>();
        int total;
        int dropped;
        /** ConvSent's draws, in record order from one seeded generator, as EasyEdit draws from {@code random.seed(0)}. */
        Random convSentDraws;

        Mapper(Path file, DataFormat format) {
            this.file = file;
            this.format = format;
        }

        Dataset build() {
            return new Dataset(file, format, name(file, format), requests, records, total, skipped, dropped);
        }

        /** Maps record {@code i} of a record-list file. */
        void record(List<JsonNode> items, int i, long seed) {
            total++;
            JsonNode r = items.get(i);
            try {
                if (!r.isObject()) {
                    throw new Malformed("expected a JSON object, got " + kind(r));
                }
                EditRequest q = switch (format) {
                    case KNOWEDIT -> knowEdit(r);
                    case WIKIBIO -> wikiBio(r);
                    case COUNTERFACT -> counterFact(r);
                    case ZSRE_MEND -> zsreMend(r);
                    case ROME_COUNTERFACT -> romeCounterFact(r);
                    case CONVSENT -> convSent(items, i, seed);
                    case SANITATION -> throw new IllegalStateException("Sanitation is one object");
                };
                requests.add(q);
                records.add(i);
            } catch (Skip s) {
                skipped.add(new Dataset.Skipped(i, s.kind, s.getMessage()));
            } catch (Malformed e) {
                throw new DatasetException("record %d (0-based) of %s (%s format) is malformed: %s".formatted(i, file,
                        format.cliName(), e.getMessage()));
            }
        }

        EditRequest knowEdit(JsonNode r) {
            return request(required(r, "prompt"), required(r, "subject"), target(r, "target_new"), optional(r, "ground_truth"),
                    texts(r, "rephrase_prompt"), probes(r, "locality"), probes(r, "portability"));
        }

        EditRequest wikiBio(JsonNode r) {
            return request(required(r, "text"), required(r, "concept"), target(r, "labels"), optional(r, "ground_truth"),
                    List.of(), probes(r, "locality"), probes(r, "portability"));
        }

        EditRequest counterFact(JsonNode r) {
            Map<String, List<Probe>> locality = probes(r, "locality");
            addPaired(locality, "neighborhood", r.get("locality_prompt"), r.get("locality_ground_truth"), "locality_prompt");
            return request(required(r, "prompt"), required(r, "subject"), target(r, "target_new"), optional(r, "ground_truth"),
                    texts(r, "rephrase_prompt"), locality, probes(r, "portability"));
        }

        EditRequest zsreMend(JsonNode r) {
            Map<String, List<Probe>> locality = new LinkedHashMap<>();
            addPaired(locality, "neighborhood", r.get("loc"), r.get("loc_ans"), "loc");
            Map<String, List<Probe>> portability = new LinkedHashMap<>();
            JsonNode p = r.get("portability");
            if (p != null && p.isObject() && (p.has("New Question") || p.has("New Answer"))) {
                addPaired(portability, "one_hop", p.get("New Question"), p.get("New Answer"), "portability.New Question");
            } else {
                portability = probes(r, "portability");
            }
            return request(required(r, "src"), required(r, "subject"), target(r, "alt"), optional(r, "answers"),
                    texts(r, "rephrase"), locality, portability);
        }

        EditRequest romeCounterFact(JsonNode r) {
            JsonNode rw = r.get("requested_rewrite");
            if (rw == null || rw.isNull()) {
                throw new Skip("missing field", "no 'requested_rewrite'");
            }
            if (!rw.isObject()) {
                throw new Malformed("'requested_rewrite' must be an object, got " + kind(rw));
            }
            String targetNew = romeTarget(rw, "target_new", true);
            String targetTrue = romeTarget(rw, "target_true", false);
            Map<String, List<Probe>> locality = new LinkedHashMap<>();
            List<Probe> neighborhood = new ArrayList<>();
            for (String prompt : texts(r, "neighborhood_prompts")) {
                addProbe(neighborhood, prompt, targetTrue);
            }
            List<Probe> attribute = new ArrayList<>();
            for (String prompt : texts(r, "attribute_prompts")) {
                addProbe(attribute, prompt, targetNew);
            }
            if (!neighborhood.isEmpty()) {
                locality.put("neighborhood", neighborhood);
            }
            if (!attribute.isEmpty()) {
                locality.put("attribute", attribute);
            }
            return request(required(rw, "prompt"), required(rw, "subject"), targetNew, targetTrue,
                    texts(r, "paraphrase_prompts"), locality, Map.of());
        }

        /** ROME's {@code {"str": "...", "id": "Q..."}} target, or a plain string. */
        String romeTarget(JsonNode rw, String key, boolean required) {
            JsonNode t = rw.get(key);
            if (t != null && t.isObject()) {
                t = t.get("str");
            }
            String s = text(t, "requested_rewrite." + key);
            if (required && (s == null || s.isBlank())) {
                throw new Skip(s == null ? "missing field" : "empty target", "no 'requested_rewrite." + key + ".str'");
            }
            return s == null || s.isBlank() ? null : s;
        }

        EditRequest convSent(List<JsonNode> items, int i, long seed) {
            JsonNode r = items.get(i);
            String topic = required(r, "ent");
            if (convSentDraws == null) {
                convSentDraws = new Random(seed);
            }
            Random rnd = convSentDraws;
            boolean positive = rnd.nextInt(2) == 0;
            String question = question(rnd, topic);
            List<String> pos = sentences(r, "pos");
            List<String> neg = sentences(r, "neg");
            List<String> sentences = positive ? pos : neg;
            if (sentences.isEmpty()) {
                throw new Skip("missing field", "no %s sentence for the drawn target sentiment".formatted(positive ? "'pos'" : "'neg'"));
            }
            if ((positive ? neg : pos).isEmpty()) {
                throw new Skip("missing field", "no %s sentence: the sentiment metric needs both sentiments"
                        .formatted(positive ? "'neg'" : "'pos'"));
            }
            String prompt = "From the sentiment dataset, answer %s %s.".formatted(question, positive ? "postively" : "negatively");
            // EasyEdit's inner_all_qa: every sentence (pos, then neg), each after its own drawn question
            List<Probe> posQa = qa(rnd, topic, pos);
            List<Probe> negQa = qa(rnd, topic, neg);
            List<Probe> next = List.of();
            JsonNode n = items.get((i + 1) % items.size());
            if (items.size() > 1 && n.isObject()) {
                String nextTopic = optional(n, "ent");
                if (nextTopic != null) {
                    List<Probe> outer = new ArrayList<>(qa(rnd, nextTopic, sentences(n, "pos")));
                    outer.addAll(qa(rnd, nextTopic, sentences(n, "neg")));
                    next = outer;
                }
            }
            EvalProtocol.Sentiment metric = new EvalProtocol.Sentiment(positive ? "pos" : "neg", positive ? posQa : negQa,
                    positive ? negQa : posQa, next);
            return request(prompt, topic, sentences.get(0), null, List.of(), Map.of(), Map.of()).withProtocol(metric);
        }

        /** A question about {@code topic} from one drawn template. */
        static String question(Random rnd, String topic) {
            return CONVSENT_TEMPLATES.get(rnd.nextInt(CONVSENT_TEMPLATES.size())).replace("{}", topic);
        }

        /** Each sentence after its own drawn question about {@code topic}. */
        List<Probe> qa(Random rnd, String topic, List<String> sentences) {
            List<Probe> out = new ArrayList<>();
            for (String s : sentences) {
                addProbe(out, question(rnd, topic), s);
            }
            return out;
        }

        /** A ConvSent sentence list, each stripped (the file's sentences start and end with a space). */
        List<String> sentences(JsonNode r, String key) {
            return texts(r, key).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        }

        void sanitation(JsonNode root) {
            JsonNode forget = root.has("K_F") ? root.get("K_F") : root.get("success");
            JsonNode retain = root.has("K_R") ? root.get("K_R") : root.get("locality");
            String forgetName = root.has("K_F") ? "K_F" : "success";
            String retainName = root.has("K_R") ? "K_R" : "locality";
            if (forget == null || !forget.isArray()) {
                throw new DatasetException("%s: Sanitation's '%s' must be a list of records, got %s".formatted(file, forgetName,
                        forget == null ? "nothing" : kind(forget)));
            }
            if (retain != null && !retain.isNull() && !retain.isArray()) {
                throw new DatasetException("%s: Sanitation's '%s' must be a list of records, got %s".formatted(file, retainName,
                        kind(retain)));
            }
            int nForget = forget.size();
            List<List<Probe>> dealt = new ArrayList<>();
            for (int i = 0; i < nForget; i++) {
                dealt.add(new ArrayList<>());
            }
            if (retain != null && retain.isArray() && nForget > 0) {
                for (int j = 0; j < retain.size(); j++) {
                    JsonNode k = retain.get(j);
                    if (!k.isObject()) {
                        throw new DatasetException("%s: %s[%d] is malformed: expected a JSON object, got %s".formatted(file,
                                retainName, j, kind(k)));
                    }
                    try {
                        String q = text(k.get("question"), "question");
                        addProbe(dealt.get(j % nForget), q == null ? null : SANITATION_TEMPLATE.formatted(q),
                                text(k.get("ground_truth"), "ground_truth"));
                    } catch (Malformed e) {
                        throw new DatasetException("%s: %s[%d] is malformed: %s".formatted(file, retainName, j, e.getMessage()));
                    }
                }
            }
            for (int i = 0; i < nForget; i++) {
                total++;
                JsonNode r = forget.get(i);
                try {
                    if (!r.isObject()) {
                        throw new Malformed("expected a JSON object, got " + kind(r));
                    }
                    Map<String, List<Probe>> locality = dealt.get(i).isEmpty() ? Map.of() : Map.of("retain", dealt.get(i));
                    requests.add(request(SANITATION_TEMPLATE.formatted(required(r, "question")), required(r, "subject"),
                            target(r, "target_new"), optional(r, "ground_truth"), List.of(), locality, Map.of())
                            .withProtocol(EvalProtocol.Erasure.easyEdit()));
                    records.add(i);
                } catch (Skip s) {
                    skipped.add(new Dataset.Skipped(i, s.kind, s.getMessage()));
                } catch (Malformed e) {
                    throw new DatasetException("%s: %s[%d] (0-based) is malformed: %s".formatted(file, forgetName, i, e.getMessage()));
                }
            }
        }

        /** Builds the request, skipping records whose subject is not in the prompt or that the request rejects. */
        EditRequest request(String prompt, String subject, String target, String truth, List<String> rephrase,
                Map<String, List<Probe>> locality, Map<String, List<Probe>> portability) {
            if (!prompt.contains("{}") && !prompt.contains(subject)) {
                throw new Skip("subject not in prompt", "subject '%s' does not occur in prompt '%s'".formatted(subject, prompt));
            }
            try {
                return new EditRequest(prompt, subject, target, truth, rephrase, locality, portability);
            } catch (IllegalArgumentException e) {
                throw new Skip("invalid", e.getMessage());
            }
        }

        /** A required text field; a missing or empty one skips the record. */
        String required(JsonNode r, String key) {
            JsonNode v = r.get(key);
            if (v == null || v.isNull()) {
                throw new Skip("missing field", "no '" + key + "'");
            }
            String s = text(v, key);
            if (s == null || s.isBlank()) {
                throw new Skip("missing field", "'" + key + "' is empty");
            }
            return s;
        }

        /** The target field; an empty one skips the record as "empty target" (EasyEdit skips {@code alt == ""}). */
        String target(JsonNode r, String key) {
            JsonNode v = r.get(key);
            if (v == null || v.isNull()) {
                throw new Skip("missing field", "no '" + key + "'");
            }
            String s = text(v, key);
            if (s == null || s.isBlank()) {
                throw new Skip("empty target", "'" + key + "' is empty");
            }
            return s;
        }

        String optional(JsonNode r, String key) {
            String s = text(r.get(key), key);
            return s == null || s.isBlank() ? null : s;
        }

        /** One string or a list of strings (each reduced to its first alias, or an object's prompt); blanks left out. */
        List<String> texts(JsonNode r, String key) {
            JsonNode v = r.get(key);
            List<String> out = new ArrayList<>();
            if (v == null || v.isNull()) {
                return out;
            }
            if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                    JsonNode e = v.get(i);
                    String s = e.isObject() && e.has("prompt") ? text(e.get("prompt"), key + "[" + i + "].prompt")
                            : text(e, key + "[" + i + "]");
                    if (s != null && !s.isBlank()) {
                        out.add(s);
                    }
                }
            } else {
                String s = text(v, key);
                if (s != null && !s.isBlank()) {
                    out.add(s);
                }
            }
            return out;
        }

        /**
         * Probes in KnowEdit's form ({@code {key: [{prompt, ground_truth}, ...]}}) or EasyEdit's
         * ({@code {key: {prompt: str|list, ground_truth: str|list}}}).
         */
        Map<String, List<Probe>> probes(JsonNode r, String section) {
            Map<String, List<Probe>> out = new LinkedHashMap<>();
            JsonNode v = r.get(section);
            if (v == null || v.isNull()) {
                return out;
            }
            if (!v.isObject()) {
                throw new Malformed("'%s' must be an object of probe lists, got %s".formatted(section, kind(v)));
            }
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                String where = section + "." + e.getKey();
                JsonNode list = e.getValue();
                List<Probe> probes = new ArrayList<>();
                if (list == null || list.isNull()) {
                    continue;
                } else if (list.isArray()) {
                    for (int i = 0; i < list.size(); i++) {
                        JsonNode p = list.get(i);
                        if (!p.isObject()) {
                            throw new Malformed("'%s[%d]' must be an object {prompt, ground_truth}, got %s".formatted(where, i, kind(p)));
                        }
                        addProbe(probes, text(p.get("prompt"), where + "[" + i + "].prompt"),
                                text(p.get("ground_truth"), where + "[" + i + "].ground_truth"));
                    }
                } else if (list.isObject()) {
                    pair(probes, list.get("prompt"), list.get("ground_truth"), where);
                } else {
                    throw new Malformed("'%s' must be a list of probes or an object {prompt, ground_truth}, got %s"
                            .formatted(where, kind(list)));
                }
                if (!probes.isEmpty()) {
                    out.put(e.getKey(), probes);
                }
            }
            return out;
        }

        /** Adds the probes of parallel prompt and answer fields (each a string or a list) under {@code key}. */
        void addPaired(Map<String, List<Probe>> into, String key, JsonNode prompts, JsonNode answers, String where) {
            List<Probe> probes = new ArrayList<>(into.getOrDefault(key, List.of()));
            pair(probes, prompts, answers, where);
            if (!probes.isEmpty()) {
                into.put(key, probes);
            }
        }

        void pair(List<Probe> probes, JsonNode prompts, JsonNode answers, String where) {
            if (prompts == null || prompts.isNull()) {
                if (answers != null && !answers.isNull()) {
                    dropped++;
                }
                return;
            }
            if (prompts.isArray()) {
                for (int i = 0; i < prompts.size(); i++) {
                    // one answer per prompt if the lists pair up, else one answer (or alias list) for all
                    JsonNode a = answers != null && answers.isArray() && answers.size() == prompts.size() ? answers.get(i) : answers;
                    addProbe(probes, text(prompts.get(i), where + "[" + i + "]"), text(a, where + " answer"));
                }
            } else {
                addProbe(probes, text(prompts, where), text(answers, where + " answer"));
            }
        }

        void addProbe(List<Probe> probes, String prompt, String answer) {
            if (prompt == null || prompt.isBlank() || answer == null || answer.isBlank()) {
                dropped++;
                return;
            }
            probes.add(new Probe(prompt, answer));
        }

        /**
         * A string value; lists reduce to their first string (aliases), numbers and booleans to their text.
         *
         * @return the text, or null for null, absent or an empty list
         */
        static String text(JsonNode v, String where) {
            while (v != null && v.isArray()) {
                v = v.size() == 0 ? null : v.get(0);
            }
            if (v == null || v.isNull() || v.isMissingNode()) {
                return null;
            }
            if (v.isObject()) {
                throw new Malformed("'%s' must be a string or a list of strings, got an object".formatted(where));
            }
            return v.asText();
        }

        static String kind(JsonNode v) {
            return v.isObject() ? "an object" : v.isArray() ? "a list" : v.isTextual() ? "a string" : v.isNumber() ? "a number"
                    : v.isBoolean() ? "a boolean" : "null";
        }

        static String name(Path file, DataFormat format) {
            String stem = file.getFileName().toString().replaceFirst("\\.(jsonl?|json)$", "");
            String lower = stem.toLowerCase(Locale.ROOT);
            return switch (format) {
                case KNOWEDIT -> lower.contains("zsre") ? "ZsRE" : lower.contains("recent") ? "WikiData_recent"
                        : lower.contains("counterfact") || lower.contains("test_cf") || lower.contains("train_cf")
                                ? "WikiData_counterfact" : stem;
                case WIKIBIO -> "WikiBio";
                case CONVSENT -> "ConvSent";
                case SANITATION -> "Sanitation";
                case COUNTERFACT -> "CounterFact";
                case ZSRE_MEND -> "zsRE";
                case ROME_COUNTERFACT -> "CounterFact (ROME)";
            };
        }
    }
}
