package dev.emend.eval;

import dev.emend.edit.EditRequest;
import dev.emend.edit.EvalProtocol;
import dev.emend.eval.PhaseScores.AnswerScore;
import dev.emend.eval.PhaseScores.TokenMatch;
import dev.emend.eval.metrics.AnswerMatch;
import dev.emend.eval.metrics.ErasureMetric;
import dev.emend.eval.metrics.Locality;
import dev.emend.eval.metrics.NGramEntropy;
import dev.emend.eval.metrics.SentimentMetric;
import dev.emend.eval.metrics.TeacherForced;
import dev.emend.model.GenerationConfig;
import dev.emend.model.GenerationResult;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.model.Scorer;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Scores a model on edit requests, EasyEdit's {@code compute_edit_quality} (easyedit-reference §2): the pre-edit
 * pass on the unedited model, the post-edit pass on the edited one. It never edits or reverts; {@link EditBenchmark}
 * runs the loop.
 *
 * <p>Every teacher-forced row of the cases passed together (edit prompt, rephrasings, locality and portability
 * probes) goes through one {@link Scorer} call, which batches them. The pre-edit locality argmaxes are computed once,
 * in the pre pass, and kept in {@link PreEdit} for the post pass.
 *
 * <p>A request's {@link EvalProtocol} is scored beside the generic metrics, the same way for every method (the
 * evaluator never asks which editor ran). {@link EvalProtocol.Sentiment} (ConvSent): the topic's answers of both
 * sentiments are scored teacher-forced in both passes, and the pre pass keeps the target answers' pooled mean
 * log-probability and a {@link SentimentMetric.Sketch} of the unedited distribution at each next-topic answer token
 * ({@link EvalOptions#klTopK()} tokens per position), from which the post pass computes {@code es} and {@code dd}.
 * Each answer row is {@code question + " " + answer}, tokenised as the teacher-forced probes. {@link
 * EvalProtocol.Erasure} (Sanitation): greedy answers (at most {@code maxNewTokens}, cut at EOS, through the prompt
 * context, batched like the generation protocol's) to the edit prompt and to every locality probe; the pre pass keeps
 * the retain answers, and the post pass scores the forget answer by {@link ErasureMetric#forgot} and each retain
 * answer by {@link ErasureMetric#retained} against the kept one.
 *
 * <p>Case ids matter only for fluency: case {@code i} samples with seed {@code options.seed() + i}, before and after
 * its edit alike.
 *
 * <p>Every prompt goes to the model through its {@link LanguageModel#promptContext() prompt context}, so in-context
 * edits (IKE, ICE) are scored like any other applied edit and this class knows no method: with an IKE patch applied,
 * a rewrite row is {@code ''.join(demos) + "New Fact: {p} {t}\nPrompt: {p}"} followed by {@code " " + t}, as in
 * EasyEdit's {@code compute_icl_edit_quality}; the pre-edit pass, run with no patch applied, sees the bare prompt
 * (EasyEdit: {@code p + ' ' + t}). Locality compares pre-edit argmaxes without the context against post-edit ones with
 * it, and portability is scored with it, both as EasyEdit does. Two deviations from EasyEdit's IKE path, both where
 * it treats IKE unlike other methods: its pre-edit rephrase row already carries the "New Fact" line, here it is bare;
 * and its post-edit fluency samples from {@code "New Fact: {p} {t}\nPrompt: {p}"} (without demonstrations) and scores
 * that text too, while here the sample continues the whole context and only the prompt and the continuation are
 * scored.
 */
public final class EditEvaluator {
    /** EasyEdit's LLM-judge stop strings; the answer is cut before the first. */
    private static final List<String> ANSWER_STOPS = List.of(".", "\n");

    private final LanguageModel model;
    private final EvalOptions options;
    private final Scorer scorer;
    private final Generator generator;

    /**
     * @param model the model to score (the same object the editor edits)
     * @param options what to measure besides the teacher-forced metrics
     */
    public EditEvaluator(LanguageModel model, EvalOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
        this.scorer = new Scorer(model);
        this.generator = new Generator(model);
    }

    /** @return the options */
    public EvalOptions options() {
        return options;
    }

    /**
     * The pre-edit measurement of one case, with what its post pass compares against.
     *
     * @param scores the pre-edit scores (no locality accuracies, as in EasyEdit)
     * @param localityOutputs per locality key and probe, the unedited model's argmax tokens at the answer positions
     *     (EasyEdit's {@code <key>_output})
     * @param localityAnswers per locality key and probe, the unedited model's greedy answer; empty unless the
     *     generation protocol is on
     * @param protocol what the post pass of the request's {@link EvalProtocol} compares against, or null if it has
     *     none
     */
    public record PreEdit(PhaseScores scores, Map<String, List<int[]>> localityOutputs,
            Map<String, List<String>> localityAnswers, ProtocolReference protocol) {
        /**
         * A measurement without a protocol reference.
         *
         * @param scores the pre-edit scores
         * @param localityOutputs argmaxes per locality key
         * @param localityAnswers greedy answers per locality key
         */
        public PreEdit(PhaseScores scores, Map<String, List<int[]>> localityOutputs, Map<String, List<String>> localityAnswers) {
            this(scores, localityOutputs, localityAnswers, null);
        }
    }

    /** What the unedited model gave for a request's {@link EvalProtocol}, kept for the post pass. */
    public sealed interface ProtocolReference permits SentimentReference, ErasureReference {}

    /**
     * ConvSent's pre-edit measurement.
     *
     * @param targetLogProb pooled mean log-probability of the target-sentiment answers (z_topic's baseline)
     * @param nextTopic per next-topic answer, the sketch of the unedited distribution at each of its token positions
     */
    public record SentimentReference(double targetLogProb, List<List<SentimentMetric.Sketch>> nextTopic)
            implements ProtocolReference {
        /** Copies the lists. */
        public SentimentReference {
            nextTopic = nextTopic.stream().map(List::copyOf).toList();
        }
    }

    /**
     * Sanitation's pre-edit answers to the retain (locality) probes, in the request's locality order.
     *
     * @param retainIds the greedy answer tokens, without the prompt
     * @param retainTexts the same, decoded without special tokens
     */
    public record ErasureReference(List<int[]> retainIds, List<String> retainTexts) implements ProtocolReference {
        /** Copies the lists. */
        public ErasureReference {
            retainIds = retainIds.stream().map(int[]::clone).toList();
            retainTexts = List.copyOf(retainTexts);
        }
    }

    /**
     * Scores one case on the unedited model.
     *
     * @param caseId the case's id (fluency seed)
     * @param request the case
     * @return its pre-edit measurement
     */
    public PreEdit pre(int caseId, EditRequest request) {
        return preCases(List.of(caseId), List.of(request)).get(0);
    }

    /**
     * Scores cases on the unedited model in shared batches; case {@code i} of the list has id {@code i}.
     *
     * @param requests the cases
     * @return one pre-edit measurement per case
     */
    public List<PreEdit> pre(List<EditRequest> requests) {
        return preCases(indices(requests.size()), requests);
    }

    /**
     * Scores one case on the edited model.
     *
     * @param caseId the case's id, as in its pre pass
     * @param request the case
     * @param pre its pre-edit measurement
     * @return the post-edit scores, with locality as agreement with {@code pre}
     */
    public PhaseScores post(int caseId, EditRequest request, PreEdit pre) {
        return postCases(List.of(caseId), List.of(request), List.of(pre)).get(0);
    }

    /**
     * Scores cases on the edited model in shared batches; case {@code i} of the list has id {@code i}.
     *
     * @param requests the cases
     * @param pre their pre-edit measurements, in the same order
     * @return one post-edit score per case
     */
    public List<PhaseScores> post(List<EditRequest> requests, List<PreEdit> pre) {
        return postCases(indices(requests.size()), requests, pre);
    }

    List<PreEdit> preCases(List<Integer> ids, List<EditRequest> requests) {
        if (requests.isEmpty()) {
            return List.of();
        }
        List<Sections<TokenMatch>> tf = teacherForced(requests);
        List<Sections<String>> answers = options.generation() ? answers(tf) : null;
        ProtocolPass protocols = new ProtocolPass(requests, null);
        List<PreEdit> out = new ArrayList<>();
        for (int c = 0; c < requests.size(); c++) {
            Sections<TokenMatch> s = tf.get(c);
            Map<String, List<int[]>> outputs = PhaseScores.map(s.locality(), l -> l.stream().map(TokenMatch::predicted).toList());
            Map<String, List<String>> locAnswers = Map.of();
            PhaseScores.Generation gen = null;
            if (answers != null) {
                Sections<String> a = answers.get(c);
                locAnswers = a.locality();
                gen = generation(s, a, null);
            }
            PhaseScores scores = new PhaseScores(s.rewrite(), s.rephrase(), Map.of(), s.portability(),
                    options.fluency() ? fluency(ids.get(c), requests.get(c)) : null, gen, protocols.scores(c));
            out.add(new PreEdit(scores, outputs, locAnswers, protocols.reference(c)));
        }
        return out;
    }

    List<PhaseScores> postCases(List<Integer> ids, List<EditRequest> requests, List<PreEdit> pre) {
        if (pre.size() != requests.size()) {
            throw new IllegalArgumentException("%d requests but %d pre-edit measurements".formatted(requests.size(), pre.size()));
        }
        if (requests.isEmpty()) {
            return List.of();
        }
        List<Sections<TokenMatch>> tf = teacherForced(requests);
        List<Sections<String>> answers = options.generation() ? answers(tf) : null;
        ProtocolPass protocols = new ProtocolPass(requests, pre);
        List<PhaseScores> out = new ArrayList<>();
        for (int c = 0; c < requests.size(); c++) {
            Sections<TokenMatch> s = tf.get(c);
            PreEdit p = pre.get(c);
            Map<String, List<Double>> locality = new LinkedHashMap<>();
            for (Map.Entry<String, List<TokenMatch>> e : s.locality().entrySet()) {
                List<int[]> before = p.localityOutputs().get(e.getKey());
                List<TokenMatch> after = e.getValue();
                if (before == null || before.size() != after.size()) {
                    throw new IllegalArgumentException("the pre-edit measurement of case %d does not match its locality key '%s'"
                            .formatted(ids.get(c), e.getKey()));
                }
                List<Double> acc = new ArrayList<>();
                for (int i = 0; i < after.size(); i++) {
                    acc.add(Locality.agreement(before.get(i), after.get(i).predicted()));
                }
                locality.put(e.getKey(), acc);
            }
            PhaseScores.Generation gen = answers == null ? null : generation(s, answers.get(c), p.localityAnswers());
            out.add(new PhaseScores(s.rewrite(), s.rephrase(), locality, s.portability(),
                    options.fluency() ? fluency(ids.get(c), requests.get(c)) : null, gen, protocols.scores(c)));
        }
        return out;
    }

    /**
     * The {@link EvalProtocol} scoring of a list of cases in one phase: one {@link Scorer} call for every sentiment
     * row of every case, one per case for its next-topic distributions, one greedy generation for every erasure
     * question (per effective length).
     * With {@code pre} null this is the pre-edit pass and records each case's {@link ProtocolReference}.
     */
    private final class ProtocolPass {
        final PhaseScores.ProtocolScores[] scores;
        final ProtocolReference[] references;

        ProtocolPass(List<EditRequest> requests, List<PreEdit> pre) {
            int n = requests.size();
            scores = new PhaseScores.ProtocolScores[n];
            references = new ProtocolReference[n];
            Tokenizer tok = model.tokenizer();
            // sentiment: target and other rows (log-probs) of every case in one call; the next-topic rows'
            // distributions ([tokens × V] each) one case at a time below, to bound memory
            List<Scorer.Request> rows = new ArrayList<>();
            // erasure: forget prompts and retain prompts, generated together per distinct length
            List<int[]> questions = new ArrayList<>();
            List<Integer> questionLimits = new ArrayList<>();
            for (EditRequest r : requests) {
                if (r.protocol() instanceof EvalProtocol.Sentiment s) {
                    s.target().forEach(p -> rows.add(row(tok, p)));
                    s.other().forEach(p -> rows.add(row(tok, p)));
                } else if (r.protocol() instanceof EvalProtocol.Erasure e) {
                    questions.add(tok.encode(model.promptContext().wrap(r.filledPrompt()), true));
                    questionLimits.add(e.maxNewTokens());
                    for (EditRequest.Probe p : retain(r)) {
                        questions.add(tok.encode(model.promptContext().wrap(p.prompt()), true));
                        questionLimits.add(e.maxNewTokens());
                    }
                }
            }
            Iterator<Scorer.TargetScore> rowScores = rows.isEmpty() ? Collections.emptyIterator() : scorer.score(rows).iterator();
            Iterator<int[]> generated = questions.isEmpty() ? Collections.emptyIterator()
                    : greedy(questions, questionLimits).iterator();
            int vocab = model.config().vocabSize();
            for (int c = 0; c < n; c++) {
                EditRequest r = requests.get(c);
                PreEdit before = pre == null ? null : pre.get(c);
                if (r.protocol() instanceof EvalProtocol.Sentiment s) {
                    double target = SentimentMetric.pooledMean(take(rowScores, s.target().size()));
                    double other = SentimentMetric.pooledMean(take(rowScores, s.other().size()));
                    List<float[]> next = s.nextTopic().isEmpty() ? List.of()
                            : scorer.logProbDistributions(s.nextTopic().stream().map(p -> row(tok, p)).toList());
                    double zSent = SentimentMetric.zSent(target, other);
                    if (before == null) {
                        List<List<SentimentMetric.Sketch>> sketches = new ArrayList<>();
                        for (float[] d : next) {
                            List<SentimentMetric.Sketch> positions = new ArrayList<>();
                            for (int t = 0; t < d.length / vocab; t++) {
                                positions.add(SentimentMetric.Sketch.of(d, t * vocab, vocab, options.klTopK()));
                            }
                            sketches.add(positions);
                        }
                        references[c] = new SentimentReference(target, sketches);
                        scores[c] = new PhaseScores.Sentiment(zSent, zSent, 1, null, target, other);
                    } else {
                        SentimentReference ref = expected(before, SentimentReference.class, c);
                        double zTopic = SentimentMetric.zTopic(target, ref.targetLogProb());
                        Double dd = next.isEmpty() ? null : SentimentMetric.dd(ref.nextTopic(), next);
                        scores[c] = new PhaseScores.Sentiment(zSent * zTopic, zSent, zTopic, dd, target, other);
                    }
                } else if (r.protocol() instanceof EvalProtocol.Erasure) {
                    int[] forgetIds = generated.next();
                    String forget = tok.decode(forgetIds, true);
                    // the target also as the tokenizer writes it back (a word-level vocabulary decodes "don't" as
                    // "don ' t"), so that an answer of exactly the target's tokens counts
                    String written = tok.decode(tok.encode(r.targetNew(), false), true).strip();
                    PhaseScores.ErasureAnswer f = new PhaseScores.ErasureAnswer(r.filledPrompt(), forget, r.targetNew(),
                            Math.max(ErasureMetric.forgot(forget, r.targetNew()), ErasureMetric.forgot(forget, written)));
                    List<EditRequest.Probe> retain = retain(r);
                    List<int[]> retainIds = new ArrayList<>();
                    for (int i = 0; i < retain.size(); i++) {
                        retainIds.add(generated.next());
                    }
                    if (before == null) {
                        references[c] = new ErasureReference(retainIds, retainIds.stream().map(ids -> tok.decode(ids, true)).toList());
                        scores[c] = new PhaseScores.Erasure(f, List.of());
                    } else {
                        ErasureReference ref = expected(before, ErasureReference.class, c);
                        if (ref.retainIds().size() != retain.size()) {
                            throw new IllegalArgumentException("the pre-edit measurement of case %d has %d retain answers, the request %d"
                                    .formatted(c, ref.retainIds().size(), retain.size()));
                        }
                        List<PhaseScores.ErasureAnswer> kept = new ArrayList<>();
                        for (int i = 0; i < retain.size(); i++) {
                            kept.add(new PhaseScores.ErasureAnswer(retain.get(i).prompt(), tok.decode(retainIds.get(i), true),
                                    ref.retainTexts().get(i), ErasureMetric.retained(ref.retainIds().get(i), retainIds.get(i))));
                        }
                        scores[c] = new PhaseScores.Erasure(f, kept);
                    }
                }
            }
        }

        PhaseScores.ProtocolScores scores(int c) {
            return scores[c];
        }

        ProtocolReference reference(int c) {
            return references[c];
        }
    }

    /** A question-and-answer row of the sentiment metric, through the prompt context, tokenised as EasyEdit's rows. */
    private Scorer.Request row(Tokenizer tok, EditRequest.Probe p) {
        return TeacherForced.request(tok, model.promptContext().wrap(p.prompt()), p.groundTruth());
    }

    /** The retain questions of an erasure request: every locality probe, in key order. */
    private static List<EditRequest.Probe> retain(EditRequest r) {
        List<EditRequest.Probe> out = new ArrayList<>();
        r.locality().values().forEach(out::addAll);
        return out;
    }

    private static <R extends ProtocolReference> R expected(PreEdit before, Class<R> kind, int c) {
        if (!kind.isInstance(before.protocol())) {
            throw new IllegalArgumentException("the pre-edit measurement of case %d has no %s; recompute the pre-edit pass"
                    .formatted(c, kind.getSimpleName()));
        }
        return kind.cast(before.protocol());
    }

    private static List<float[]> take(Iterator<Scorer.TargetScore> it, int n) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(it.next().logProbs());
        }
        return out;
    }

    /**
     * Greedy new tokens for each prompt, at most its limit and at most what the model's positions leave after the
     * prompt, stopping at EOS (which is left out). Prompts with the same effective limit are generated as one batch,
     * as the generation protocol runs.
     */
    private List<int[]> greedy(List<int[]> prompts, List<Integer> limits) {
        int positions = model.config().maxPositions();
        Map<Integer, List<Integer>> byLimit = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            int n = Math.min(limits.get(i), positions - prompts.get(i).length);
            if (n < 1) {
                throw new IllegalArgumentException("a prompt of %d tokens leaves no room to answer within the model's %d positions"
                        .formatted(prompts.get(i).length, positions));
            }
            byLimit.computeIfAbsent(n, k -> new ArrayList<>()).add(i);
        }
        int[][] out = new int[prompts.size()][];
        Tokenizer tok = model.tokenizer();
        byLimit.forEach((n, rows) -> {
            List<GenerationResult> gens = generator.generateIds(rows.stream().map(prompts::get).toList(), GenerationConfig.greedy(n));
            for (int j = 0; j < rows.size(); j++) {
                int[] ids = gens.get(j).newIds();
                int end = 0;
                while (end < Math.min(n, ids.length) && !tok.specials().isEos(ids[end])) {
                    end++;
                }
                out[rows.get(j)] = Arrays.copyOf(ids, end);
            }
        });
        return Arrays.asList(out);
    }

    /** One Scorer call over every probe of every case. */
    private List<Sections<TokenMatch>> teacherForced(List<EditRequest> requests) {
        Tokenizer tok = model.tokenizer();
        List<Sections<EditRequest.Probe>> probes = requests.stream().map(Sections::of).toList();
        List<Scorer.Request> rows = new ArrayList<>();
        probes.forEach(s -> s.forEach(p -> rows.add(TeacherForced.request(tok, model.promptContext().wrap(p.prompt()),
                p.groundTruth()))));
        Iterator<Scorer.TargetScore> scores = scorer.score(rows).iterator();
        List<Sections<TokenMatch>> out = new ArrayList<>();
        for (Sections<EditRequest.Probe> s : probes) {
            out.add(s.map(p -> {
                Scorer.TargetScore t = scores.next();
                return new TokenMatch(p.prompt(), p.groundTruth(), t.targetIds(), t.argmax());
            }));
        }
        return out;
    }

    /**
     * Greedy answers to every probe, in one batch: at most (the reference's token count + margin) new tokens, stopping
     * at EOS, decoded without special tokens, cut before the first stop string, trimmed.
     */
    private List<Sections<String>> answers(List<Sections<TokenMatch>> tf) {
        Tokenizer tok = model.tokenizer();
        List<int[]> prompts = new ArrayList<>();
        List<Integer> limits = new ArrayList<>();
        tf.forEach(s -> s.forEach(m -> {
            prompts.add(tok.encode(model.promptContext().wrap(m.prompt()), true));
            limits.add(m.labels().length + options.answerMargin());
        }));
        int max = limits.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<GenerationResult> gens = generator.generateIds(prompts, GenerationConfig.greedy(max));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < gens.size(); i++) {
            int[] ids = gens.get(i).newIds();
            String text = tok.decode(Arrays.copyOf(ids, Math.min(ids.length, limits.get(i))), true);
            for (String stop : ANSWER_STOPS) {
                int at = text.indexOf(stop);
                if (at >= 0) {
                    text = text.substring(0, at);
                }
            }
            texts.add(text.strip());
        }
        Iterator<String> it = texts.iterator();
        List<Sections<String>> out = new ArrayList<>();
        tf.forEach(s -> out.add(s.map(m -> it.next())));
        return out;
    }

    /** Scores answers against their references; after an edit, locality answers are compared with the pre-edit ones. */
    private static PhaseScores.Generation generation(Sections<TokenMatch> tf, Sections<String> answers,
            Map<String, List<String>> preLocality) {
        Map<String, List<AnswerScore>> locality = new LinkedHashMap<>();
        tf.locality().forEach((key, matches) -> {
            List<AnswerScore> l = new ArrayList<>();
            for (int i = 0; i < matches.size(); i++) {
                String ref = preLocality == null ? matches.get(i).target() : preLocality.get(key).get(i);
                l.add(score(matches.get(i).prompt(), answers.locality().get(key).get(i), ref));
            }
            locality.put(key, l);
        });
        Map<String, List<AnswerScore>> portability = new LinkedHashMap<>();
        tf.portability().forEach((key, matches) -> {
            List<AnswerScore> l = new ArrayList<>();
            for (int i = 0; i < matches.size(); i++) {
                l.add(score(matches.get(i).prompt(), answers.portability().get(key).get(i), matches.get(i).target()));
            }
            portability.put(key, l);
        });
        return new PhaseScores.Generation(scores(tf.rewrite(), answers.rewrite()), scores(tf.rephrase(), answers.rephrase()),
                locality, portability);
    }

    private static List<AnswerScore> scores(List<TokenMatch> tf, List<String> answers) {
        List<AnswerScore> out = new ArrayList<>();
        for (int i = 0; i < tf.size(); i++) {
            out.add(score(tf.get(i).prompt(), answers.get(i), tf.get(i).target()));
        }
        return out;
    }

    private static AnswerScore score(String prompt, String answer, String reference) {
        return new AnswerScore(prompt, answer, reference, AnswerMatch.exactMatch(answer, reference),
                AnswerMatch.f1(answer, reference));
    }

    /**
     * EasyEdit's {@code test_generation_quality}: one top-k sampled text from the edit prompt, {@code fluencyMaxLength}
     * tokens in total with the prompt (capped at the context length), decoded with the prompt, cleaned, scored. With
     * a prompt context the sample continues the wrapped prompt (the context's tokens count against the model's
     * positions, not against {@code fluencyMaxLength}) and the context is left out of the scored text.
     */
    private PhaseScores.Fluency fluency(int caseId, EditRequest request) {
        Tokenizer tok = model.tokenizer();
        int[] prompt = tok.encode(request.filledPrompt(), true);
        int[] input = tok.encode(model.promptContext().wrap(request.filledPrompt()), true);
        int newTokens = Math.min(options.fluencyMaxLength() - prompt.length, model.config().maxPositions() - input.length);
        int[] all = prompt;
        if (newTokens > 0) {
            GenerationConfig cfg = new GenerationConfig(newTokens, 1.0, options.fluencyTopK(), 1.0,
                    options.seed() + caseId, List.of(), false);
            int[] generated = generator.generateIds(List.of(input), cfg).get(0).newIds();
            all = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, all, prompt.length, generated.length);
        }
        String text = NGramEntropy.clean(tok.decode(all, true));
        return new PhaseScores.Fluency(NGramEntropy.fluency(text), text);
    }

    private static List<Integer> indices(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return Collections.unmodifiableList(out);
    }
}
