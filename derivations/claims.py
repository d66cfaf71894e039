"""The lesson's claims, each with a verdict and the checks that decide it.

A verdict rests on its checks: for a claim that holds they verify it, for a claim that
is wrong they verify the corrected statement. :func:`judge` reports a verdict as
decided only when every one of its checks ran and was verified.
"""

from __future__ import annotations

from collections.abc import Mapping

from derivations._result import ClaimVerdict, Result

CLAIMS: tuple[ClaimVerdict, ...] = (
    ClaimVerdict(
        "topological_order_needed",
        "A network's topological order is not there to make computing convenient but to "
        "make it possible: without one the network cannot be computed.",
        "holds",
        "An operation can run only once every value it reads exists, so any order that "
        "computes a network is a topological order of its graph, and a graph with a cycle "
        "has none. The order need not come from a separate sort: a traced program already "
        "lists its operations in one (JAX's jaxpr), and Kahn's algorithm finds others.",
        ("computation.evaluation_order", "computation.no_order_no_computation"),
    ),
    ClaimVerdict(
        "graph_before_or_while_running",
        "TensorFlow must build the topological order before running, PyTorch builds it "
        "while running from how the operations connect; both have one.",
        "holds with a caveat",
        "What differs is when the graph is built, not whether it is sorted. TensorFlow 1 "
        "builds the whole graph before running it (TensorFlow 2 runs eagerly unless "
        "tf.function traces first); PyTorch records the graph as operations run. JAX shows "
        "both: jax.make_jaxpr and jax.jit trace a whole function from shapes before any "
        "number exists, and jax.vjp runs the forward pass while recording the backward "
        "graph with the forward values it will need. Either way operations are recorded "
        "in an order in which they can run, already topological; the backward pass runs "
        "the recorded graph in reverse.",
        ("computation.trace_then_run",),
    ),
    ClaimVerdict(
        "stacked_linear_is_linear",
        "Stacking linear maps without an activation gives a linear map: "
        "g(f(x)) = w2 (w x + b) + b = w2 w x + w2 b + b.",
        "holds",
        "Strictly the result is affine (linear plus a constant). With separate biases it is "
        "(w2 w) x + (w2 b + b2); the lesson's version is the case b2 = b. The same holds for "
        "matrices and for any number of layers.",
        (
            "affine.scalar_collapse",
            "affine.matrix_collapse",
            "affine.stack_collapse",
            "affine.nonlinearity_breaks_collapse",
        ),
    ),
    ClaimVerdict(
        "alternating_layers_fit_anything",
        "Alternating linear and nonlinear maps can, in theory, fit any function.",
        "holds with a caveat",
        "Universal approximation: one hidden layer with a non-polynomial activation "
        "approximates any continuous function on a bounded (compact) set to any accuracy, "
        "given enough units. It is approximation, not exact fitting of any function; a "
        "polynomial activation does not suffice; and it says nothing about whether training "
        "finds such weights.",
        (
            "affine.relu_network_interpolates",
            "affine.polynomial_activation_fails",
            "affine.nonlinearity_breaks_collapse",
        ),
    ),
    ClaimVerdict(
        "fourier_represents_any_function",
        "Any continuous, periodic or non-periodic function is a combination of sines and "
        "cosines (Fourier), with the series f(x) = a0 + sum_{n=1}^{0} (...).",
        "holds with a caveat",
        "A Fourier series represents a periodic function (or one on a bounded interval, "
        "extended periodically); for square-integrable functions it converges in mean "
        "square, not necessarily pointwise: at a jump the partial sums converge to the "
        "midpoint and overshoot by about 8.95 % of the jump (Gibbs), and some continuous "
        "functions have series that diverge at a point. A non-periodic function on the "
        "whole line needs the Fourier transform, an integral over frequencies. The sum "
        "runs to infinity (to N for a partial sum), with a0/2 as the constant.",
        (
            "fourier.coefficients",
            "fourier.partial_sums",
            "fourier.mse_table",
            "fourier.gibbs",
            "fourier.lesson_formula",
        ),
    ),
    ClaimVerdict(
        "everything_is_a_taylor_polynomial",
        "Every complicated function is computed by turning it into a polynomial with a "
        "Taylor expansion.",
        "wrong",
        "A Taylor series converges only inside its radius of convergence (pi for sigmoid, "
        "pi/2 for tanh, set by complex poles) and can converge to the wrong function "
        "(exp(-1/x^2)); functions with kinks have none there. Truncated Taylor polynomials "
        "are accurate only near the expansion point; numeric libraries use range reduction "
        "with minimax polynomial or rational approximations instead.",
        (
            "taylor.maclaurin",
            "taylor.lagrange_remainder",
            "taylor.radii",
            "taylor.divergence_outside",
            "taylor.flat_function",
            "convexity.continuity_not_sufficient",
        ),
    ),
    ClaimVerdict(
        "forward_before_backward",
        "Forward propagation must run before backward propagation; prediction needs neither "
        "the loss nor backward propagation.",
        "holds",
        "The backward pass multiplies local derivatives evaluated at the values the forward "
        "pass computed; a prediction is the forward pass alone.",
        (
            "backprop.backward_needs_forward",
            "backprop.prediction_needs_no_loss",
            "computation.backward_reads_forward",
        ),
    ),
    ClaimVerdict(
        "precision_recall_not_a_loss",
        "Precision and recall cannot serve as a loss because they are not differentiable.",
        "holds with a caveat",
        "The conclusion holds, the reason is sharper: on thresholded scores they are "
        "piecewise constant, so their derivative is 0 almost everywhere (no signal for "
        "gradient descent) and undefined at the jumps. Smooth surrogates computed from "
        "probabilities can be optimized.",
        ("convexity.precision_recall_piecewise_constant",),
    ),
    ClaimVerdict(
        "mse_and_cross_entropy_differentiable",
        "MSE and cross-entropy are differentiable.",
        "holds",
        "MSE everywhere; cross-entropy everywhere as a function of the logits (what "
        "CrossEntropyLoss takes), with gradient softmax(z) - onehot(y); on probabilities, "
        "-log p is differentiable only for p > 0.",
        ("convexity.losses_differentiable", "softmax.cross_entropy_gradient"),
    ),
    ClaimVerdict(
        "continuity_necessary_not_sufficient",
        "Continuity is necessary but not sufficient for differentiability.",
        "holds",
        "A jump makes the difference quotient diverge; |x| and ReLU are continuous at 0 "
        "without a derivative there.",
        ("convexity.continuity_necessary", "convexity.continuity_not_sufficient"),
    ),
    ClaimVerdict(
        "loss_must_be_convex",
        "A loss function must be convex.",
        "wrong",
        "Convexity is not required. MSE and cross-entropy are convex in the network's "
        "output, but the loss as a function of the parameters of any network with a hidden "
        "layer is in general not convex (w2 w1 x already has two separate minima), and "
        "gradient descent trains such networks anyway. A loss needs to be bounded below and "
        "differentiable almost everywhere.",
        (
            "convexity.nonconvex_in_parameters",
            "convexity.mse_convex",
            "convexity.cross_entropy_convex",
            "convexity.bce_with_logits_convex",
        ),
    ),
    ClaimVerdict(
        "convexity_definition",
        "A function is convex if the function values on the segment between any two points "
        "are not below the line joining them (and, like a car whose steering wheel stays "
        "turned one way, it bends one way).",
        "wrong",
        "That describes a concave function. f is convex when its graph lies on or below "
        "every chord: f(l a + (1 - l) b) <= l f(a) + (1 - l) f(b) for l in [0, 1]. "
        "Bending one way fits concave functions too; convex means f'' >= 0 where it exists.",
        ("convexity.convexity_definition",),
    ),
    ClaimVerdict(
        "common_functions_convex",
        "Linear, exponential, power and absolute-value functions are convex.",
        "holds with a caveat",
        "Linear functions (also concave), e^x and |x| are convex. A power x^p is convex on "
        "x > 0 only for p >= 1 or p <= 0: sqrt(x) is concave and x^3 is not convex on the "
        "whole line.",
        ("convexity.common_functions", "convexity.convexity_definition"),
    ),
    ClaimVerdict(
        "sigmoid_properties",
        "Sigmoid outputs lie in (0, 1), it is differentiable everywhere, and its mean output "
        "is 0.5.",
        "holds with a caveat",
        "Range (0, 1), open, and differentiability everywhere hold. The mean output is 0.5 "
        "only when the inputs are distributed symmetrically about 0 "
        "(sigmoid(-z) = 1 - sigmoid(z)); for N(1, 1) inputs it is about 0.70.",
        (
            "activations.sigmoid_range",
            "activations.sigmoid_smooth",
            "activations.sigmoid_symmetry",
            "activations.centring",
        ),
    ),
    ClaimVerdict(
        "sigmoid_slower_than_relu",
        "Sigmoid is slow because it computes an exponential; ReLU, and its derivative, are "
        "much faster.",
        "holds with a caveat",
        "Per value, sigmoid evaluates one exponential where ReLU compares with 0: XLA's cost "
        "analysis counts n transcendental evaluations for sigmoid on n values and none for "
        "ReLU, and on its own sigmoid takes about three times as long on the benchmarks' "
        "CPU. Its derivative needs no second exponential (sigmoid' = s(1 - s) reuses the "
        "forward value s). In a network the matrix products dominate (the exponentials are "
        "under 0.1 % of an MNIST-size MLP's floating-point work) and XLA fuses the "
        "activation into neighbouring kernels, so a training step takes about as long "
        "with either. ReLU's lasting advantage is a gradient that does not vanish: on the "
        "page 'Activations compared', sweeps of sixteen seeds each show sigmoid training "
        "slowest, on the lesson's model and far behind in a four-layer network on digits.",
        ("computation.sigmoid_cost",),
    ),
    ClaimVerdict(
        "tanh_is_arctangent",
        "tanh is the arctangent function, and its mean is 0.",
        "wrong",
        "tanh is the hyperbolic tangent (e^z - e^-z)/(e^z + e^-z) = 2 sigmoid(2z) - 1, not "
        "the arctangent (tanh(1) = 0.762, atan(1) = 0.785; their limits are 1 and pi/2). It "
        "is odd with range (-1, 1), so its mean output is 0 for inputs symmetric about 0, "
        "not for every input.",
        (
            "activations.tanh_not_arctan",
            "activations.tanh_from_sigmoid",
            "activations.tanh_odd",
            "activations.centring",
        ),
    ),
    ClaimVerdict(
        "saturation_loss_is_zero",
        "With sigmoid and tanh the loss is 0 in most places, so w cannot learn.",
        "wrong",
        "It is the derivative, not the loss, that becomes small: sigmoid' <= 1/4 and "
        "tanh' <= 1 (both largest at 0) tend to 0 as |z| grows, though never exactly 0. "
        "Gradients through saturated units, and through many sigmoid layers, vanish, so w "
        "learns slowly. Measured on the page 'Activations compared' (an MLP with four "
        "hidden layers of 32 on digits, sixteen seeds each): at initialisation the sigmoid "
        "network's first-layer weight gradient is about a thousandth of its last layer's, "
        "where tanh, ReLU, LeakyReLU, GELU and SiLU stay within a factor of four; after "
        "ten epochs it reaches about half the validation accuracy, the others over 0.9.",
        (
            "activations.saturation",
            "activations.sigmoid_derivative_max",
            "activations.tanh_derivative_max",
            "activations.sigmoid_smooth",
        ),
    ),
    ClaimVerdict(
        "relu_derivative",
        "ReLU's derivative is 1 for z > 0; ReLU is not differentiable at 0, and one sets "
        "the derivative there to 0.",
        "holds",
        "Left derivative 0, right derivative 1 at 0. The value 0 there is a convention (any "
        "value in [0, 1] is a subgradient); PyTorch and funcnet use 0.",
        ("activations.relu_kink", "activations.relu_derivative", "crosscheck.kink_conventions"),
    ),
    ClaimVerdict(
        "leaky_relu_differentiable_everywhere",
        "LeakyReLU (e.g. a = 0.2) has a derivative everywhere.",
        "wrong",
        "Its derivative is 1 for z > 0 and a for z < 0, nonzero on both sides, but at 0 the "
        "one-sided derivatives a and 1 differ, so it is not differentiable there (unless "
        "a = 1). Like ReLU it needs a convention at 0; PyTorch and funcnet use a.",
        ("activations.leaky_relu_kink", "crosscheck.kink_conventions"),
    ),
    ClaimVerdict(
        "softmax_then_cross_entropy",
        "A model ending in Softmax can be trained with CrossEntropyLoss on its outputs.",
        "wrong",
        "CrossEntropyLoss applies log-softmax itself and expects logits. Fed probabilities "
        "it applies softmax twice: the loss cannot drop below log(1 + (n - 1)/e), the "
        "gradient gains a factor diag(p) - p p^T, and it vanishes for confidently wrong "
        "predictions. Drop the final Softmax and use it only to report probabilities.",
        ("softmax.double_softmax", "softmax.cross_entropy_gradient", "crosscheck.loss_gradients"),
    ),
)


def judge(claim: ClaimVerdict, results: Mapping[str, Result]) -> bool:
    """Whether every check deciding ``claim`` ran and was verified.

    Args:
        claim: A ledger entry.
        results: Results by id.

    Returns:
        ``True`` when the verdict is backed by its checks.

    Examples:
        >>> import sympy as sp
        >>> from derivations._result import result
        >>> r = result("a.b", claim="c", statement=sp.Eq(sp.Symbol("s"), 1), verified=True)
        >>> judge(ClaimVerdict("x", "c", "holds", "", ("a.b",)), {"a.b": r})
        True
    """
    return all(check in results and results[check].verified for check in claim.checks)


def required_topics() -> list[str]:
    """The topics whose checks the ledger relies on.

    Examples:
        >>> "softmax" in required_topics()
        True
    """
    return sorted({check.split(".", 1)[0] for claim in CLAIMS for check in claim.checks})
