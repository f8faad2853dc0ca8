"""What every wrapper of a deployed model shares: it is already trained, it is a classifier or a
regressor by what it wraps, and its parameters are checked again whenever they change."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags, RegressorTags


class DeployedModel(BaseEstimator):
    """A fitted model that lives outside scikit-learn (a file, a service).

    Subclasses read or check their parameters in ``_configure`` (called by ``__init__`` and
    again by ``set_params``), set ``_is_classifier`` there, and say in ``_takes_text`` whether
    text columns can be sent.
    """

    _is_classifier = False

    def _configure(self):
        raise NotImplementedError

    def _takes_text(self):
        return True

    def set_params(self, **params):
        """Set the parameters and read or check them again.

        Parameters
        ----------
        **params : dict
            Parameters of the constructor.

        Returns
        -------
        self : estimator
        """
        super().set_params(**params)
        self._configure()
        return self

    def fit(self, X=None, y=None):
        """Refuse to train: the model is already trained.

        To put an output defense in front of it, freeze it first:
        ``DefendedClassifier(FrozenEstimator(model), defense).fit(X, y)``.

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError(
            f"A {type(self).__name__} is already trained and cannot be fitted. Where an "
            "estimator must be fitted, wrap it in sklearn.frozen.FrozenEstimator, whose fit "
            "keeps it as it is."
        )

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        is_classifier = bool(getattr(self, "_is_classifier", False))
        tags.estimator_type = "classifier" if is_classifier else "regressor"
        tags.classifier_tags = ClassifierTags() if is_classifier else None
        tags.regressor_tags = None if is_classifier else RegressorTags()
        tags.target_tags.required = True
        tags.input_tags.string = self._takes_text()
        return tags

    @property
    def _estimator_type(self):
        return "classifier" if getattr(self, "_is_classifier", False) else "regressor"
