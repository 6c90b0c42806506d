package dev.emend.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Means over the cases of a run, as EasyEdit's {@code summary_metrics} (editors/utils.py; easyedit-reference §2.7),
 * per phase. Fractions in [0,1], not percent.
 *
 * <ul>
 *   <li>{@code rewrite_acc}, {@code rephrase_acc}: the mean over cases of each case's mean (EasyEdit takes
 *       {@code np.mean} of the per-case lists; with one prompt per case, as in every shipped dataset, the two agree).
 *       Cases without a rephrase prompt are left out of {@code rephrase_acc}.
 *   <li>{@code locality}, {@code portability}: per key ({@code <key>_acc}), the mean over the cases that have the key
 *       of the mean over that case's probes. Keys are not averaged together, as in EasyEdit.
 *   <li>{@code locality_mean}, {@code portability_mean} (not in EasyEdit's summary; KnowEdit's
 *       {@code run_knowedit_llama2.py} aggregation): the mean over cases with at least one key of the mean over their
 *       keys of the per-key mean. A case's keys weigh equally whatever their probe counts.
 *   <li>{@code fluency.ngram_entropy}: the mean over cases (KnowEdit reports 100 ×).
 *   <li>{@code generation}: exact match and F1 of the generation protocol, per section (and per key), averaged like
 *       the teacher-forced metrics.
 *   <li>{@code es}, {@code dd} (ConvSent) and {@code sanitation.success}, {@code sanitation.retain_acc}
 *       (Sanitation): see {@link ProtocolSummary}.
 *   <li>{@code time}: the mean edit time in seconds.
 * </ul>
 * Failed cases (no post-edit scores) are counted in {@code failed} and left out of every mean, pre included, so pre
 * and post cover the same cases.
 *
 * <p>A summary needs only each case's per-prompt accuracies, fluency and generation scores ({@link CaseMetrics}), so
 * it can also be computed from results read back from JSON ({@link EvalJson#readCase}), e.g. when a run resumes.
 *
 * @param cases cases in the run
 * @param failed cases whose edit failed
 * @param pre means before the edits
 * @param post means after the edits
 * @param time mean edit seconds
 */
public record Summary(int cases, int failed, PhaseSummary pre, PhaseSummary post, double time) {

    /**
     * Means of one phase; null or empty where no case has the metric.
     *
     * @param rewriteAcc mean {@code rewrite_acc}
     * @param rephraseAcc mean {@code rephrase_acc}, or null
     * @param locality per key, mean accuracy (empty before the edit)
     * @param portability per key, mean accuracy
     * @param localityMean KnowEdit's locality over keys, or null
     * @param portabilityMean KnowEdit's portability over keys, or null
     * @param fluency mean n-gram entropy, or null
     * @param generation the generation protocol's means, or null
     * @param protocol the means of the data sets' own scores (ConvSent, Sanitation), or null if no case has any
     */
    public record PhaseSummary(Double rewriteAcc, Double rephraseAcc, Map<String, Double> locality,
            Map<String, Double> portability, Double localityMean, Double portabilityMean, Double fluency,
            GenerationSummary generation, ProtocolSummary protocol) {
        /** @return KnowEdit's Edit Succ.: {@code es} (ConvSent), the erasure success (Sanitation), else {@code rewrite_acc} */
        public Double editSucc() {
            return protocol != null && protocol.es() != null ? protocol.es()
                    : protocol != null && protocol.sanitationSuccess() != null ? protocol.sanitationSuccess() : rewriteAcc;
        }

        /** @return KnowEdit's Locality: {@code dd} (ConvSent; lower is better), the retain score (Sanitation), else
         *     {@code locality_mean} */
        public Double knowEditLocality() {
            return protocol != null && protocol.dd() != null ? protocol.dd()
                    : protocol != null && protocol.sanitationRetain() != null ? protocol.sanitationRetain() : localityMean;
        }

        /** @return true if {@link #knowEditLocality()} is ConvSent's {@code dd}, a divergence: lower is better */
        public boolean localityIsDivergence() {
            return protocol != null && protocol.dd() != null;
        }
    }

    /**
     * Means of the {@link dev.emend.edit.EvalProtocol} scores; null where no case has the score.
     *
     * @param es ConvSent's {@code es}: the mean over cases
     * @param dd ConvSent's {@code dd}: the mean over cases (lower is better)
     * @param sanitationSuccess Sanitation's success: the share of forget questions answered with the target
     * @param sanitationRetain Sanitation's retain score: the mean over every retain question of every case (EasyEdit
     *     averages over questions, {@code sum(ans) / len(ans)})
     */
    public record ProtocolSummary(Double es, Double dd, Double sanitationSuccess, Double sanitationRetain) {}

    /**
     * Exact match and F1 means.
     *
     * @param exactMatch mean exact match
     * @param f1 mean token F1
     */
    public record Match(double exactMatch, double f1) {}

    /**
     * The generation protocol's means.
     *
     * @param rewrite on the edit prompt
     * @param rephrase on the rephrase prompts, or null
     * @param locality per key (before the edit against the ground truth, after it against the pre-edit answers)
     * @param portability per key
     */
    public record GenerationSummary(Match rewrite, Match rephrase, Map<String, Match> locality,
            Map<String, Match> portability) {}

    /**
     * What a summary reads of one case's phase.
     *
     * @param rewriteAcc {@code rewrite_acc}, one value per edit prompt
     * @param rephraseAcc {@code rephrase_acc}, one per rephrase prompt (may be empty)
     * @param locality per key, one agreement per probe (empty before the edit)
     * @param portability per key, one accuracy per probe
     * @param fluency the n-gram entropy, or null if not measured
     * @param generation the generation protocol's scores, or null if not run
     * @param protocol the data set's own scores, or null if it has none
     */
    public record PhaseMetrics(List<Double> rewriteAcc, List<Double> rephraseAcc, Map<String, List<Double>> locality,
            Map<String, List<Double>> portability, Double fluency, PhaseScores.Generation generation,
            PhaseScores.ProtocolScores protocol) {
        /** Copies the collections. */
        public PhaseMetrics {
            rewriteAcc = List.copyOf(rewriteAcc);
            rephraseAcc = List.copyOf(rephraseAcc);
            locality = copy(locality);
            portability = copy(portability);
        }

        /**
         * Metrics without protocol scores.
         *
         * @param rewriteAcc rewrite accuracies
         * @param rephraseAcc rephrase accuracies
         * @param locality per key, agreements
         * @param portability per key, accuracies
         * @param fluency n-gram entropy, or null
         * @param generation generation scores, or null
         */
        public PhaseMetrics(List<Double> rewriteAcc, List<Double> rephraseAcc, Map<String, List<Double>> locality,
                Map<String, List<Double>> portability, Double fluency, PhaseScores.Generation generation) {
            this(rewriteAcc, rephraseAcc, locality, portability, fluency, generation, null);
        }

        /** @param s a phase's scores @return what a summary reads of them */
        public static PhaseMetrics of(PhaseScores s) {
            return new PhaseMetrics(s.rewriteAcc(), s.rephraseAcc(), s.locality(), s.portabilityAcc(),
                    s.fluency() == null ? null : s.fluency().ngramEntropy(), s.generation(), s.protocol());
        }

        private static Map<String, List<Double>> copy(Map<String, List<Double>> m) {
            Map<String, List<Double>> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, List.copyOf(v)));
            return Collections.unmodifiableMap(out);
        }
    }

    /**
     * What a summary reads of one case.
     *
     * @param pre the pre-edit phase
     * @param post the post-edit phase, or null if the edit failed
     * @param time edit seconds (NaN if the edit failed)
     */
    public record CaseMetrics(PhaseMetrics pre, PhaseMetrics post, double time) {
        /** @param c a case @return what a summary reads of it */
        public static CaseMetrics of(CaseResult c) {
            return new CaseMetrics(PhaseMetrics.of(c.pre()), c.post() == null ? null : PhaseMetrics.of(c.post()), c.time());
        }

        /** @return true if the edit failed */
        public boolean failed() {
            return post == null;
        }
    }

    /**
     * @param results the per-case results
     * @return their summary
     */
    public static Summary of(List<CaseResult> results) {
        return ofMetrics(results.stream().map(CaseMetrics::of).toList());
    }

    /**
     * @param cases what a summary reads of each case
     * @return their summary
     */
    public static Summary ofMetrics(List<CaseMetrics> cases) {
        List<CaseMetrics> ok = cases.stream().filter(c -> !c.failed()).toList();
        double time = ok.stream().mapToDouble(CaseMetrics::time).average().orElse(Double.NaN);
        return new Summary(cases.size(), cases.size() - ok.size(),
                phase(ok.stream().map(CaseMetrics::pre).toList()), phase(ok.stream().map(CaseMetrics::post).toList()), time);
    }

    private static PhaseSummary phase(List<PhaseMetrics> ps) {
        Map<String, Double> locality = perKey(ps, PhaseMetrics::locality);
        Map<String, Double> portability = perKey(ps, PhaseMetrics::portability);
        List<PhaseMetrics> withGeneration = ps.stream().filter(p -> p.generation() != null).toList();
        List<PhaseMetrics> withFluency = ps.stream().filter(p -> p.fluency() != null).toList();
        return new PhaseSummary(
                meanOfMeans(ps.stream().map(PhaseMetrics::rewriteAcc).toList()),
                meanOfMeans(ps.stream().map(PhaseMetrics::rephraseAcc).toList()),
                locality, portability,
                overKeys(ps, PhaseMetrics::locality), overKeys(ps, PhaseMetrics::portability),
                withFluency.isEmpty() ? null : withFluency.stream().mapToDouble(PhaseMetrics::fluency).average().orElseThrow(),
                withGeneration.isEmpty() ? null : generation(withGeneration.stream().map(PhaseMetrics::generation).toList()),
                protocol(ps));
    }

    /** The protocol means; null if no case has protocol scores. */
    private static ProtocolSummary protocol(List<PhaseMetrics> ps) {
        List<PhaseScores.Sentiment> sent = new ArrayList<>();
        List<PhaseScores.Erasure> erasure = new ArrayList<>();
        for (PhaseMetrics p : ps) {
            if (p.protocol() instanceof PhaseScores.Sentiment s) {
                sent.add(s);
            } else if (p.protocol() instanceof PhaseScores.Erasure e) {
                erasure.add(e);
            }
        }
        if (sent.isEmpty() && erasure.isEmpty()) {
            return null;
        }
        List<Double> dds = sent.stream().map(PhaseScores.Sentiment::dd).filter(java.util.Objects::nonNull).toList();
        List<Double> retain = new ArrayList<>();
        erasure.forEach(e -> retain.addAll(e.retainScores()));
        return new ProtocolSummary(mean(sent.stream().map(PhaseScores.Sentiment::es).toList()), mean(dds),
                mean(erasure.stream().map(e -> e.forget().score()).toList()), mean(retain));
    }

    private static GenerationSummary generation(List<PhaseScores.Generation> gs) {
        Map<String, Match> locality = new LinkedHashMap<>();
        keys(gs, PhaseScores.Generation::locality).forEach(k -> locality.put(k,
                match(gs.stream().map(g -> g.locality().getOrDefault(k, List.of())).toList())));
        Map<String, Match> portability = new LinkedHashMap<>();
        keys(gs, PhaseScores.Generation::portability).forEach(k -> portability.put(k,
                match(gs.stream().map(g -> g.portability().getOrDefault(k, List.of())).toList())));
        return new GenerationSummary(match(gs.stream().map(PhaseScores.Generation::rewrite).toList()),
                match(gs.stream().map(PhaseScores.Generation::rephrase).toList()),
                Collections.unmodifiableMap(locality), Collections.unmodifiableMap(portability));
    }

    /** Mean over cases (that have any) of the per-case means of EM and F1; null if no case has any. */
    private static Match match(List<List<PhaseScores.AnswerScore>> perCase) {
        List<List<Double>> em = new ArrayList<>();
        List<List<Double>> f1 = new ArrayList<>();
        for (List<PhaseScores.AnswerScore> l : perCase) {
            em.add(l.stream().map(PhaseScores.AnswerScore::exactMatch).toList());
            f1.add(l.stream().map(PhaseScores.AnswerScore::f1).toList());
        }
        Double e = meanOfMeans(em);
        return e == null ? null : new Match(e, meanOfMeans(f1));
    }

    private static <T> List<String> keys(List<T> items, Function<T, Map<String, ? extends List<?>>> f) {
        List<String> keys = new ArrayList<>();
        for (T t : items) {
            for (String k : f.apply(t).keySet()) {
                if (!keys.contains(k)) {
                    keys.add(k);
                }
            }
        }
        return keys;
    }

    private static Map<String, Double> perKey(List<PhaseMetrics> ps, Function<PhaseMetrics, Map<String, List<Double>>> f) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String k : keys(ps, f::apply)) {
            out.put(k, meanOfMeans(ps.stream().map(p -> f.apply(p).getOrDefault(k, List.of())).toList()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** KnowEdit: per case the mean over its keys of the per-key mean, then the mean over cases with any key. */
    private static Double overKeys(List<PhaseMetrics> ps, Function<PhaseMetrics, Map<String, List<Double>>> f) {
        List<List<Double>> perCase = new ArrayList<>();
        for (PhaseMetrics p : ps) {
            List<Double> keyMeans = new ArrayList<>();
            f.apply(p).values().forEach(l -> {
                Double m = mean(l);
                if (m != null) {
                    keyMeans.add(m);
                }
            });
            perCase.add(keyMeans);
        }
        return meanOfMeans(perCase);
    }

    /** The mean over non-empty lists of each list's mean; null if all are empty. */
    static Double meanOfMeans(List<List<Double>> lists) {
        List<Double> means = new ArrayList<>();
        for (List<Double> l : lists) {
            Double m = mean(l);
            if (m != null) {
                means.add(m);
            }
        }
        return mean(means);
    }

    private static Double mean(List<Double> l) {
        if (l.isEmpty()) {
            return null;
        }
        double s = 0;
        for (double d : l) {
            s += d;
        }
        return s / l.size();
    }
}
