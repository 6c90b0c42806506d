package dev.emend.edit;

/**
 * One step of a value optimisation: {@code loss = nll + kl + weightDecay} (ROME {@code compute_v.py}).
 *
 * @param step 0-based step
 * @param maxSteps {@code v_num_grad_steps}
 * @param loss total loss
 * @param nll mean negative log-likelihood of the target over the rewriting prompts
 * @param kl {@code kl_factor · KL(new ‖ original)} at the subject of the essence prompt
 * @param weightDecay {@code v_weight_decay · ‖δ‖ / ‖v_init‖²}
 * @param targetProbability mean over prompts of {@code exp(−nll)}
 * @param deltaNorm ‖δ‖ before this step's update
 */
public record OptimizationStep(int step, int maxSteps, double loss, double nll, double kl, double weightDecay,
        double targetProbability, double deltaNorm) {}
