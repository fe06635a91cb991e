"""Physical constants (SI, CODATA 2018 exact values)."""

Q_E = 1.602176634e-19  #: elementary charge (C)
K_B = 1.380649e-23  #: Boltzmann constant (J/K)
H = 6.62607015e-34  #: Planck constant (J s)
C = 299792458.0  #: speed of light (m/s)
