"""Models as they are deployed: fitted models that live outside scikit-learn, wrapped so that
tabinvert's attacks, evaluation and assessment query them like any fitted estimator.

====================  =============================================  ======================
model                 what it wraps                                  needs
====================  =============================================  ======================
``ONNXModel``         a model exported to ONNX (by skl2onnx or       the ``onnx`` extra
                      onnxmltools), run by onnxruntime               (onnxruntime, onnx)
``RemoteClassifier``  a model behind an HTTP prediction service:     the ``remote`` extra
``RemoteRegressor``   the Open Inference Protocol v2 (KServe,        (urllib3)
                      MLServer, Triton), MLflow's scoring server,
                      or any JSON API described by a template
====================  =============================================  ======================

Each wrapper answers ``predict`` (and ``predict_proba`` for a classifier) with NumPy arrays
shaped as scikit-learn's, declares ``classes_``, ``n_features_in_`` and, when the model takes
named columns, ``feature_names_in_``, and is tagged a classifier or a regressor, so that
:func:`sklearn.base.is_classifier` and the attacks' choice of threat model work unchanged. The
attacks query such a model only through its outputs: the white-box attacks do not read inside
it.
"""

from ._onnx import ONNXModel
from ._remote import RemoteClassifier, RemoteRegressor

__all__ = ["ONNXModel", "RemoteClassifier", "RemoteRegressor"]
