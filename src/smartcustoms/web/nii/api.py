"""The NII API (JSON under /api/v1/nii): send a scan (the project's .npz format) for a declaration or container,
read a declaration's analyses, and the picture of one."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.nii import service
from smartcustoms.nii.schemas import AnalysisOut, ScanResult
from smartcustoms.web.deps import Db, require
from smartcustoms.web.nii import presenters

router = APIRouter(prefix="/api/v1/nii", tags=["nii"])
Reader = Annotated[User, require(*presenters.ROLES)]
Sender = Annotated[User, require(*presenters.SENDERS)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
DeclarationId = Annotated[str, Path(min_length=1, max_length=35)]


@router.post("/scans", response_model=ScanResult, status_code=201)
async def send_scan(user: Sender, db: Db, file: Annotated[UploadFile, File()],
                    declaration_id: Annotated[str | None, Form(max_length=35)] = None,
                    container_id: Annotated[str | None, Form(max_length=20)] = None,
                    vehicle_id: Annotated[str | None, Form(max_length=20)] = None):
    """Analyse a scan and store it as evidence on its declaration (given, or found by container or vehicle ID).
    An alarm moves a green or yellow declaration to red. A malformed file is refused (422, ``nii_scan_*``) and
    nothing is stored."""
    content = await file.read(service.MAX_SCAN_BYTES + 1)
    return await run_in_threadpool(service.submit_scan, db, content, declaration_id=declaration_id or None,
                                   container_id=container_id or None, vehicle_id=vehicle_id or None,
                                   actor=user.username)


@router.get("/declarations/{declaration_id}/analyses", response_model=list[AnalysisOut])
def analyses(declaration_id: DeclarationId, user: Reader, db: Db):
    """The scan analyses stored on a declaration, oldest first."""
    return service.analyses_for(db, declaration_id)


@router.get("/analyses/{analysis_id}.png", responses={200: {"content": {"image/png": {}}}})
async def picture(analysis_id: PathId, user: Reader, db: Db):
    """The scan in the standard material colours (orange organic, green mixed, blue metal) with the boxes."""
    data = await run_in_threadpool(service.analysis_png, db, analysis_id)
    return Response(data, media_type="image/png")
