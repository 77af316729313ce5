"""Officer pages of the NII area: the picture of an analysed scan (material colours and boxes, PNG), and the panel
that the officer's task page includes (``nii_panel`` in its templates, installed by ``install``)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.nii import service
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.nii import presenters

router = APIRouter(prefix="/officer/nii", include_in_schema=False)
Reader = Annotated[User, require_page(*presenters.ROLES)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/analyses/{analysis_id}.png", name="nii_analysis_png")
async def analysis_png(analysis_id: PathId, user: Reader, db: Db):
    data = await run_in_threadpool(service.analysis_png, db, analysis_id)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


def install(app) -> None:
    """Let templates show a declaration's scan analyses: ``nii_panel(request, declaration_id)``."""

    def nii_panel(request: Request, declaration_id: str) -> list[dict]:
        return presenters.panel(request.app.state.db, declaration_id)

    app.state.templates.env.globals["nii_panel"] = nii_panel
