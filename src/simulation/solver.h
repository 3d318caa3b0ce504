// Root finding for the operating point, where the pump head equals the system head.
// g(q) = H_pump(q) − H_system(q) falls with q; the root is bracketed by [lo, hi] with
// g(lo) > 0 > g(hi). Newton steps use the caller's slope; any step that leaves the bracket or
// fails to halve |g| is replaced by bisection, so the method converges whenever the bracket
// is valid (quadratically near the root), and never diverges. Plain bisection is kept as the
// reference implementation and the benchmark's anchor.
#pragma once

#include <cmath>

namespace iotwins::simulation {

enum class SolverKind { newton, bisection };

struct RootResult {
  double q = 0.0;
  int iterations = 0;
  bool converged = false;
};

struct RootTolerance {
  double q_abs = 1e-10;   // m³/s
  double head_abs = 1e-9; // m
  int max_iterations = 200;
};

// `f(q, slope)` returns g(q) and stores dg/dq (possibly approximate) in `slope`.
template <class F>
RootResult solve_root(F&& f, double lo, double hi, SolverKind kind, RootTolerance tol = {}) {
  RootResult r;
  double slope = 0.0;
  double q = 0.5 * (lo + hi);
  double g = f(q, slope);
  for (r.iterations = 1; r.iterations <= tol.max_iterations; ++r.iterations) {
    if (std::abs(g) <= tol.head_abs || hi - lo <= tol.q_abs) {
      r.converged = true;
      break;
    }
    if (g > 0) lo = q; else hi = q;
    double next = 0.5 * (lo + hi);
    if (kind == SolverKind::newton && slope < 0.0) {
      const double newton = q - g / slope;
      if (newton > lo && newton < hi) next = newton;
    }
    double next_slope = 0.0;
    double next_g = f(next, next_slope);
    if (kind == SolverKind::newton && std::abs(next_g) > 0.5 * std::abs(g) && next != 0.5 * (lo + hi)) {
      // The Newton step made too little progress: take the bisection point instead.
      next = 0.5 * (lo + hi);
      next_g = f(next, next_slope);
    }
    q = next;
    g = next_g;
    slope = next_slope;
  }
  r.q = q;
  return r;
}

}  // namespace iotwins::simulation
